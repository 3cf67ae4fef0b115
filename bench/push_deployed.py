"""Web Push as deployed: one push decision for 25,000 subscribed phones, sent by one and then two
``signage serve --role push`` processes sharing the Redis job queue, against pywebpush driven concurrently with
the same concurrency (a thread pool, as a user would write it by hand), to the same push service, same run.

The push service is ``tests/push_service.py`` in its own process, answering after 30 ms. It verifies VAPID and
decrypts one message in ten (``--check-every``): a real push service runs on its own machines, and here it
shares the two CPUs with the senders; every message is still counted, and a problem in any checked one fails
the run. The subscriptions are in the Redis store, as a web process keeps them; the engine's path is all of it:
the decision job on the queue, batches of 200, each phone's subscription loaded, its payload encrypted and sent,
the phone recorded as served. Counted: time until the service has answered every message, and the CPU time of
the senders per message (``/proc`` for the push processes, ``process_time`` for the baseline's threads).
Run: ``.venv/bin/python bench/push_deployed.py [--subscriptions 25000] [--baseline 5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pywebpush

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deployed import engine_on_redis  # noqa: E402  (bench/ is on the path of a bench script)

from channels.push_sender import VapidKeys  # noqa: E402
from channels.push_subscriptions import SubscriptionStore, parse_subscription  # noqa: E402
from signage.cli import _new_vapid_private_key  # noqa: E402
from signage.store.redis import RedisStore  # noqa: E402
from signage.work_queue.redis import RedisWorkQueue  # noqa: E402
from tests.push_service import subscriber_info  # noqa: E402

TOPIC = "alerts/dijon-centre"
DECISION = {"topic": TOPIC, "message": "alert:bench", "title": "ALERTE VENT VIOLENT",
            "body": "Vigilance orange vent violent : rafales jusqu'à 110 km/h. Évitez les parcs et les bords "
                    "de l'Ouche.",
            "language": "fr", "texts": {}, "tag": "alert:bench", "severity": "severe", "urgent": True,
            "urgency": "high", "ttl_s": 6 * 3600}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def stats(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/stats", timeout=5) as response:
        return dict(json.loads(response.read()))


def reset(base: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{base}/reset", method="POST"), timeout=5).read()


async def subscribe(redis_url: str, prefix: str, infos: list[dict[str, Any]]) -> None:
    store = RedisStore(redis_url, prefix)
    subscriptions = SubscriptionStore(store)
    now = datetime.now(UTC)
    for start in range(0, len(infos), 500):
        await asyncio.gather(*(subscriptions.save(parse_subscription(
            {**info, "topics": [TOPIC], "language": "fr"}, services=("http://127.0.0.1:*",),
            languages=("fr", "en"), topic_ok=lambda t: True), now) for info in infos[start:start + 500]))
    await store.close()


async def decide(redis_url: str, prefix: str, key: str) -> None:
    queue = RedisWorkQueue(redis_url, prefix)
    await queue.put({"kind": "decision", "key": key, "decision": DECISION}, key=key)
    await queue.close()


def engine(args: argparse.Namespace, base: str, keys: VapidKeys, processes: int, round_n: int,
           service_pid: int) -> dict[str, Any]:
    infos = [subscriber_info(base, f"phone{n}") for n in range(args.subscriptions)]
    extra = {"SIGNAGE_VAPID_PRIVATE_KEY": keys.private, "SIGNAGE_VAPID_SUBJECT": keys.subject,
             "SIGNAGE_PUSH_SERVICES": "http://127.0.0.1:*", "SIGNAGE_PUSH_WORKERS": str(args.workers)}
    port = 18390 + 10 * round_n
    with engine_on_redis(args.redis, port, role="push", extra_env=extra) as (first, env):
        prefix = env["SIGNAGE_REDIS_PREFIX"]
        asyncio.run(subscribe(args.redis, prefix, infos))
        others = [subprocess.Popen([sys.executable, "-m", "signage", "serve", "--config", "demo", "--role", "push",
                                    "--port", str(port + 1 + n)], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, cwd=ROOT) for n in range(processes - 1)]
        try:
            for other in others:
                assert other.stdout is not None and "listening" in other.stdout.readline()
            pids = [first.pid, *(o.pid for o in others)]
            if processes == 2:  # one core each, as "two push processes on two cores"
                for core, pid in enumerate(pids):
                    os.sched_setaffinity(pid, {core})
            time.sleep(1.0)
            reset(base)
            cpu_before, service_before = sum(cpu_seconds(pid) for pid in pids), cpu_seconds(service_pid)
            began = time.perf_counter()
            asyncio.run(decide(args.redis, prefix, f"bench-{round_n}"))
            while stats(base)["delivered"] < args.subscriptions:
                if time.perf_counter() - began > 300:
                    raise SystemExit(f"only {stats(base)} after 300 s")
                time.sleep(0.02)
            elapsed = time.perf_counter() - began
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
            service_cpu = cpu_seconds(service_pid) - service_before
        finally:
            for other in others:
                other.terminate()
                other.wait()
    served = stats(base)
    assert served["problems"] == 0, served
    return {"processes": processes, "seconds": round(elapsed, 2),
            "messages_per_s": round(args.subscriptions / elapsed), "cpu_ms_per_message":
                round(cpu / args.subscriptions * 1000, 3), "senders_cpu_s": round(cpu, 1),
            "push_service_cpu_s": round(service_cpu, 1), "checked": served["checked"]}


def baseline(args: argparse.Namespace, base: str, keys: VapidKeys, threads: int) -> dict[str, Any]:
    """pywebpush.webpush() for each phone, ``threads`` at a time: the concurrency the engine's processes have."""
    infos = [subscriber_info(base, f"phone{n}") for n in range(args.baseline)]
    vapid = keys.vapid()
    payload = json.dumps({"title": DECISION["title"], "body": DECISION["body"]}).encode()

    def send(info: dict[str, Any]) -> None:
        pywebpush.webpush(info, payload, vapid_private_key=vapid, vapid_claims={"sub": keys.subject}, ttl=3600,
                          timeout=30)

    reset(base)
    cpu, began = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(send, infos))
    elapsed, cpu_used = time.perf_counter() - began, time.process_time() - cpu
    served = stats(base)
    assert served["delivered"] == len(infos) and served["problems"] == 0, served
    return {"threads": threads, "messages": len(infos), "seconds": round(elapsed, 2),
            "messages_per_s": round(len(infos) / elapsed), "cpu_ms_per_message": round(cpu_used / len(infos) * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=25_000)
    parser.add_argument("--baseline", type=int, default=5_000, help="phones for the pywebpush baseline")
    parser.add_argument("--workers", type=int, default=2, help="push workers in each push process")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--check-every", type=int, default=10)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    service = subprocess.Popen([sys.executable, "-m", "tests.push_service", "--port", str(args.port), "--delay-ms",
                                str(args.delay_ms), "--check-every", str(args.check_every)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    results: dict[str, Any] = {"subscriptions": args.subscriptions, "delay_ms": args.delay_ms,
                               "workers_per_process": args.workers}
    try:
        assert service.stdout is not None and service.stdout.readline().strip() == "ready"
        keys = VapidKeys(_new_vapid_private_key(), "mailto:bench@metropole-dijon.fr")
        results["one_process"] = engine(args, base, keys, 1, 1, service.pid)
        results["two_processes"] = engine(args, base, keys, 2, 2, service.pid)
        # The engine's concurrency: each process sends up to 200 phones of a batch at once per worker, and at most
        # SIGNAGE_PUSH_PER_SERVICE (100) requests to one push service; two processes, 200 at once.
        results["baseline"] = baseline(args, base, keys, threads=200)
    finally:
        service.terminate()
        service.wait()
    two, one, bare = results["two_processes"], results["one_process"], results["baseline"]
    results["scaling_1_to_2"] = round(one["seconds"] / two["seconds"], 2)
    results["cpu_per_message_ratio"] = round(two["cpu_ms_per_message"] / bare["cpu_ms_per_message"], 2)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
