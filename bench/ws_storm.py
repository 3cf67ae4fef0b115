"""A connection storm: 10,000 clients connect at once (1,000 handshakes in flight) and each subscribes to three
topics, as kiosks and phones do when a web process restarts; against a bare ``websockets`` server answering the
same subscribes, same clients, same run.

The engine's web process runs on Redis (the bus, the store), as deployed. Counted: subscriptions confirmed
(``subscribed`` frames) and lost (a connection refused, closed, or an error frame), the time until every client is
subscribed, and each client's time from connecting to its last ``subscribed``, p50 and p99. A client closed with
1013 (try again later) waits and connects again as the shipped pages do, and is counted as retried. The clients run in
separate processes (``--client-processes``), each holding its share of connections until all are done.
Run: ``.venv/bin/python bench/ws_storm.py [--clients 10000] [--in-flight 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import websockets
from deployed import engine_on_redis  # bench/ is on the path of a bench script

ROOT = Path(__file__).resolve().parents[1]
TRY_AGAIN_LATER = 1013  # the engine's overload close: the client waits and connects again
TOPICS = ["panel/darcy", "parking/darcy", "alerts/dijon-centre"]


def client_process(url: str, count: int, in_flight: int, start: Any, results: Any) -> None:
    async def run() -> dict[str, Any]:
        gate = asyncio.Semaphore(in_flight)
        held: list[Any] = []
        latencies: list[float] = []
        lost: dict[str, int] = {}

        retried = [0]

        async def one(attempt: int = 0, began: float | None = None) -> None:
            began = time.perf_counter() if began is None else began  # a retried client's time counts from its first try
            async with gate:
                try:
                    connection = await websockets.connect(url, open_timeout=120, max_queue=64, compression=None,
                                                          ping_interval=None)
                    await connection.send(json.dumps({"type": "subscribe", "topics": TOPICS}))
                    confirmed = 0
                    while confirmed < len(TOPICS):
                        frame = json.loads(await asyncio.wait_for(connection.recv(), timeout=120))
                        if frame["type"] == "subscribed":
                            confirmed += 1
                        elif frame["type"] == "error":
                            lost[f"error {frame.get('code')}"] = lost.get(f"error {frame.get('code')}", 0) + 1
                            return
                    latencies.append(time.perf_counter() - began)
                    held.append(connection)
                except websockets.ConnectionClosed as exc:
                    if exc.rcvd is not None and exc.rcvd.code == TRY_AGAIN_LATER and attempt < 5:
                        retried[0] += 1
                    else:
                        key = f"closed {exc.rcvd.code if exc.rcvd else 'without a code'}"
                        lost[key] = lost.get(key, 0) + 1
                        return
                except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
                    lost[type(exc).__name__] = lost.get(type(exc).__name__, 0) + 1
                    return
                else:
                    return
            # Told to try again later: wait as the shipped pages do (reconnect.js), outside the gate.
            most = min(2.0 * 2 ** attempt, 30.0)
            await asyncio.sleep(most / 2 + random.random() * most / 2)
            await one(attempt + 1, began)

        start.wait()
        await asyncio.gather(*(one() for _ in range(count)))
        finished = time.time()
        for connection in held:
            await connection.close()
        return {"latencies": latencies, "lost": lost, "finished": finished, "retried": retried[0]}

    results.put(asyncio.run(run()))


def storm(url: str, clients: int, in_flight: int, processes: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    share = [clients // processes + (i < clients % processes) for i in range(processes)]
    workers = [context.Process(target=client_process, args=(url, n, max(1, in_flight // processes), start, results))
               for n in share]
    for worker in workers:
        worker.start()
    time.sleep(2.0)  # every process is up and waiting
    began = time.time()
    start.set()
    answers = [results.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for a in answers for x in a["latencies"])
    lost: dict[str, int] = {}
    for answer in answers:
        for key, count in answer["lost"].items():
            lost[key] = lost.get(key, 0) + count
    return {"subscribed_clients": len(latencies), "subscriptions": len(latencies) * len(TOPICS),
            "lost_clients": sum(lost.values()), "lost": lost, "retried": sum(a["retried"] for a in answers),
            "all_done_s": round(max(a["finished"] for a in answers) - began, 2),
            "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000) if latencies else None}


BASELINE = """
import asyncio, json, sys
from websockets.asyncio.server import serve
async def handler(connection):
    async for message in connection:
        request = json.loads(message)
        for topic in request.get("topics", []):
            await connection.send(json.dumps({"type": "subscribed", "topic": topic, "recovered": False}))
async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None, max_queue=16, ping_interval=25,
                     backlog=4096):
        print("ready", flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=1_000)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    results: dict[str, Any] = {"clients": args.clients, "in_flight": args.in_flight,
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                                          f"Python {platform.python_version()}"}
    port = 18090
    # Every load-generator client is on 127.0.0.1.
    with engine_on_redis(args.redis, port, extra_env={"SIGNAGE_WS_MAX_PER_ADDRESS": str(args.clients + 100)}):
        time.sleep(3.0)  # the engine has published every panel
        results["engine"] = storm(f"ws://127.0.0.1:{port}/ws", args.clients, args.in_flight, args.client_processes)
    baseline = subprocess.Popen([sys.executable, "-c", BASELINE, str(port + 1)], stdout=subprocess.PIPE, text=True)
    try:
        assert baseline.stdout is not None and baseline.stdout.readline().strip() == "ready"
        results["baseline"] = storm(f"ws://127.0.0.1:{port + 1}/", args.clients, args.in_flight,
                                    args.client_processes)
    finally:
        baseline.terminate()
        baseline.wait()
    results["time_ratio"] = round(results["engine"]["all_done_s"] / results["baseline"]["all_done_s"], 2)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
