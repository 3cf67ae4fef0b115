"""WebSocket fan-out: 10,000 subscribers on one web process, against a bare ``websockets`` server calling
``broadcast()``, same clients, same messages, same run.

Both servers take their messages from Redis (the engine's web process from the bus, as in production; the
baseline from a Redis channel) and are measured the same way: CPU time of the server process (from /proc) per
delivered message while a burst of updates goes out, resident memory per idle connection (RSS with the clients
connected minus RSS before), and delivery latency (publish to receipt, measured by the clients) at p50 and p99.
The clients run in separate processes (``--client-processes``), each holding its share of connections.
Run: ``.venv/bin/python bench/ws_fanout.py [--clients 10000] [--messages 100] [--rate 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOPIC = "parking/bench"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def client_process(url: str, count: int, subscribe: bool, expected: int, ready: Any, done: Any) -> None:
    """Hold ``count`` connections; report when all are connected, then the latencies of ``expected`` messages
    on each."""
    async def run() -> None:
        latencies: list[float] = []
        connections = []
        for _ in range(count):
            connection = await websockets.connect(url, compression=None, max_queue=None, open_timeout=60,
                                                  ping_interval=None)
            if subscribe:
                await connection.send(json.dumps({"type": "subscribe", "topics": [TOPIC]}))
            connections.append(connection)

        async def consume(connection: Any) -> None:
            got = 0
            while got < expected:
                frame = json.loads(await connection.recv())
                if frame.get("type") == "update" or "sent_at" in frame:
                    data = frame.get("data", frame)
                    if "sent_at" in data:
                        latencies.append(time.time() - data["sent_at"])
                        got += 1

        tasks = [asyncio.create_task(consume(c)) for c in connections]
        await asyncio.sleep(1.0)  # let the subscriptions' first frames arrive
        ready.put(count)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=600)
        done.put(latencies)
        for connection in connections:
            await connection.close()

    asyncio.run(run())


def measure(name: str, server: subprocess.Popen[str], url: str, publish: Any, args: argparse.Namespace,
            subscribe: bool) -> dict[str, float]:
    time.sleep(1.0)
    rss_before = rss_kib(server.pid)
    ready: Any = multiprocessing.Queue()
    done: Any = multiprocessing.Queue()
    per = args.clients // args.client_processes
    processes = [multiprocessing.Process(target=client_process, args=(url, per, subscribe, args.messages, ready, done))
                 for _ in range(args.client_processes)]
    for process in processes:
        process.start()
    connected = sum(ready.get(timeout=args.timeout) for _ in processes)
    time.sleep(2.0)
    rss_idle = rss_kib(server.pid)
    cpu_before = cpu_seconds(server.pid)
    for n in range(args.messages):
        publish({"free": n, "sent_at": time.time()})
        time.sleep(1.0 / args.rate)
    latencies = [value for _ in processes for value in done.get(timeout=args.timeout)]
    cpu_used = cpu_seconds(server.pid) - cpu_before
    for process in processes:
        process.join()
    delivered = len(latencies)
    latencies.sort()
    result = {
        "connections": connected, "delivered": delivered,
        "cpu_us_per_message": cpu_used / delivered * 1e6,
        "kib_per_connection": (rss_idle - rss_before) / connected,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }
    print(f"{name:<10} {connected:>6} conns  {delivered:>9} delivered  "
          f"{result['cpu_us_per_message']:6.2f} µs CPU/message  {result['kib_per_connection']:6.1f} KiB/conn  "
          f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    r = redis.Redis.from_url(args.redis)
    results = {}

    env = {**os.environ, "SIGNAGE_REDIS_URL": args.redis, "SIGNAGE_REDIS_PREFIX": prefix, "PYTHONUNBUFFERED": "1",
           "SIGNAGE_WS_MAX_PER_ADDRESS": str(args.clients + 100)}  # every load-generator client is on 127.0.0.1
    port = 18080
    engine = subprocess.Popen([sys.executable, "-m", "signage", "serve", "--config", "demo", "--role", "web",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, cwd=ROOT)
    try:
        assert engine.stdout is not None and "listening" in engine.stdout.readline()
        from signage.bus.redis import RedisBus

        loop = asyncio.new_event_loop()
        bus = RedisBus(args.redis, prefix=prefix)
        results["engine"] = measure("engine", engine, f"ws://127.0.0.1:{port}/ws",
                                    lambda data: loop.run_until_complete(bus.publish(TOPIC, data)), args, True)
        loop.run_until_complete(bus.close())
    finally:
        engine.terminate()
        engine.wait()
        for key in r.scan_iter(f"{prefix}*"):
            r.delete(key)

    channel = f"{prefix}baseline"
    baseline = subprocess.Popen([sys.executable, str(ROOT / "bench" / "ws_baseline_server.py"), "--port",
                                 str(port + 1), "--redis", args.redis, "--channel", channel],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert baseline.stdout is not None and baseline.stdout.readline().strip() == "ready"
        results["baseline"] = measure("baseline", baseline, f"ws://127.0.0.1:{port + 1}/",
                                      lambda data: r.publish(channel, json.dumps(data)), args, False)
    finally:
        baseline.terminate()
        baseline.wait()
    ratio = results["engine"]["cpu_us_per_message"] / results["baseline"]["cpu_us_per_message"]
    print(f"CPU per delivered message, engine / bare websockets broadcast(): {ratio:.2f}")


if __name__ == "__main__":
    main()
