"""Web Push throughput: 25,000 subscriptions through the engine's push workers, against a sequential loop of
``pywebpush.webpush()`` over the same subscriptions and the same push service, in the same run.

The push service is ``tests/push_service.py`` in its own process: it verifies VAPID, decrypts every message with
``http_ece`` and answers after 30 ms (a real push service's round trip), so sending is bound by latency, as it
is for real. Subscriptions live in the embedded store (SQLite); the engine's path is the whole of it: a push
decision on the job queue, a worker expands it into batches, loads each subscription, renders the payload in
the phone's language, encrypts and sends it.
Run: ``.venv/bin/python bench/push_throughput.py [--subscriptions 25000] [--baseline 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pywebpush

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.push_sender import PushSender, VapidKeys  # noqa: E402
from channels.push_subscriptions import SubscriptionStore, parse_subscription  # noqa: E402
from channels.push_worker import PushWorker  # noqa: E402
from signage.cli import _new_vapid_private_key  # noqa: E402
from signage.metrics import Metrics  # noqa: E402
from signage.store.sqlite import SqliteStore  # noqa: E402
from signage.work_queue.memory import MemoryWorkQueue  # noqa: E402
from tests.push_service import subscriber_info  # noqa: E402

TOPIC = "alerts/dijon-centre"
DECISION = {"topic": TOPIC, "message": "alert:bench", "title": "ALERTE VENT VIOLENT",
            "body": "Vigilance orange vent violent : rafales jusqu'à 110 km/h. Évitez les parcs et les bords "
                    "de l'Ouche.",
            "language": "fr", "texts": {}, "tag": "alert:bench", "severity": "severe", "urgent": True,
            "urgency": "high", "ttl_s": 6 * 3600}


def stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/stats", timeout=5) as response:
        return dict(json.loads(response.read()))


def reset(base: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{base}/reset", method="POST"), timeout=5).read()


def baseline(infos: list[dict[str, object]], keys: VapidKeys, base: str) -> float:
    """Messages per second of a sequential ``webpush()`` loop, the way pywebpush's README sends."""
    vapid = keys.vapid()
    payload = json.dumps({"title": DECISION["title"], "body": DECISION["body"]}).encode()
    start = time.perf_counter()
    for info in infos:
        pywebpush.webpush(info, payload, vapid_private_key=vapid, vapid_claims={"sub": keys.subject}, ttl=3600,
                          timeout=10)
    elapsed = time.perf_counter() - start
    delivered = stats(base)["delivered"]
    assert delivered == len(infos), f"baseline: {delivered} of {len(infos)} delivered"
    return len(infos) / elapsed


async def engine(infos: list[dict[str, object]], keys: VapidKeys, base: str, workers: int,
                 per_service: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteStore(str(Path(directory) / "push.sqlite3"))
        subscriptions = SubscriptionStore(store)
        now = datetime.now(UTC)
        for info in infos:
            subscription = parse_subscription({**info, "topics": [TOPIC], "language": "fr"},
                                              services=("http://127.0.0.1:*",), languages=("fr", "en"),
                                              topic_ok=lambda t: True)
            await subscriptions.save(subscription, now)
        queue = MemoryWorkQueue()
        metrics = Metrics()
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=per_service)
        async with aiohttp.ClientSession(connector=connector) as session:
            sender = PushSender(session, keys, per_service=per_service)
            tasks = [asyncio.create_task(PushWorker(queue, subscriptions, sender, metrics, batch_size=250).run())
                     for _ in range(workers)]
            cpu, start = time.process_time(), time.perf_counter()
            await queue.put({"kind": "decision", "decision": DECISION})
            while (await asyncio.to_thread(stats, base))["delivered"] < len(infos):
                await asyncio.sleep(0.05)
            elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()
        return elapsed, cpu_used, sender.signatures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=25_000)
    parser.add_argument("--baseline", type=int, default=200, help="subscriptions for the sequential loop")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=4, help="push workers in the process")
    parser.add_argument("--per-service", type=int, default=200, help="concurrent requests to one push service")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    service = subprocess.Popen([sys.executable, "-m", "tests.push_service", "--port", str(args.port),
                                "--delay-ms", str(args.delay_ms)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout is not None and service.stdout.readline().strip() == "ready"
        keys = VapidKeys(_new_vapid_private_key(), "mailto:bench@metropole-dijon.fr")
        infos = [subscriber_info(base, f"phone{n}") for n in range(args.subscriptions)]
        rate = baseline(infos[: args.baseline], keys, base)
        reset(base)
        elapsed, cpu, signatures = asyncio.run(engine(infos, keys, base, args.workers, args.per_service))
        served = stats(base)
        assert served["problems"] == 0, served
        engine_rate = args.subscriptions / elapsed
        print(f"push service: {args.delay_ms:g} ms answer delay, every message VAPID-checked and decrypted")
        print(f"sequential pywebpush.webpush(): {rate:8.1f} messages/s  (over {args.baseline} subscriptions; "
              f"{args.subscriptions} would take {args.subscriptions / rate:,.0f} s)")
        print(f"engine push workers:            {engine_rate:8.1f} messages/s  ({args.subscriptions} in "
              f"{elapsed:.2f} s, {cpu:.2f} s CPU, {signatures} VAPID signature(s))")
        print(f"ratio:                          {engine_rate / rate:8.1f} x")
    finally:
        service.terminate()
        service.wait()


if __name__ == "__main__":
    main()
