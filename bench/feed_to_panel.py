"""Feed to panel: NGSI deliveries at a steady rate through authenticated ``POST /feeds/ngsi``, and the time from
each POST to the ``/ws`` update that carries its value, on ``parking/darcy`` (the live value) and ``panel/darcy``
(the panel's content); against a bare aiohttp server that takes the same POST and broadcasts its value to the same
WebSocket client, same run.

The engine runs as deployed (``signage serve --role all`` on Redis). The sender and the WebSocket client share
one process (one clock); each delivery carries a distinct free-space count, and an update is matched to the
latest delivery of the count it shows. Also reported: how often the engine's event loop woke more than 10 ms late
during the run (its ``signage_loop_lag_seconds`` histogram).
The first two seconds warm up (connections open) and are not counted. ``--pin`` puts the server on CPU 0 and the
client on CPU 1.
Run: ``.venv/bin/python bench/feed_to_panel.py [--rate 200] [--seconds 20] [--pin]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deployed import engine_on_redis, feed_token  # noqa: E402  (bench/ is on the path of a bench script)

from signage.demo.payloads import CAR_PARKS, parking_notification  # noqa: E402

DARCY = next(p for p in CAR_PARKS if p.id == "darcy")
TOPICS = ["parking/darcy", "panel/darcy"]
WARM_UP_S = 2.0  # sent at the same rate before the measured seconds, and not counted
FREE_FROM, FREE_SPAN = 40, 500  # counts never near "full", so the panel shows the number itself

BASELINE = """
import asyncio, json, sys
from aiohttp import web
sockets = set()
async def feed(request):
    body = json.loads(await request.read())
    free = body["data"][0]["availableSpotNumber"]["value"]
    text = json.dumps({"type": "update", "topic": "parking/darcy", "data": {"free": free}})
    for ws in list(sockets):
        await ws.send_str(text)
    return web.Response(status=202)
async def ws_handler(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    sockets.add(ws)
    async for message in ws:
        for topic in json.loads(message.data)["topics"]:
            await ws.send_str(json.dumps({"type": "subscribed", "topic": topic}))
    sockets.discard(ws)
    return ws
app = web.Application()
app.add_routes([web.post("/feeds/ngsi", feed), web.get("/ws", ws_handler)])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=lambda *_: print("listening", flush=True))
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def measure(base: str, headers: dict[str, str], rate: float, seconds: float) -> dict[str, Any]:
    sent: dict[int, tuple[float, bool]] = {}  # free count -> when its POST began, and whether it is measured
    seen: dict[str, list[float]] = {topic: [] for topic in TOPICS}
    statuses: dict[int, int] = {}
    timeline: list[tuple[float, float]] = []  # (when sent, into the run; latency), to see whether the tail recurs
    start = time.perf_counter()
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{base}/ws") as ws:
        await ws.send_json({"type": "subscribe", "topics": TOPICS})

        async def listen() -> None:
            async for message in ws:
                arrived = time.perf_counter()
                frame = json.loads(message.data)
                if frame.get("type") != "update" or frame["topic"] not in seen:
                    continue
                data = frame["data"]
                if frame["topic"] == "parking/darcy":
                    counts = [data.get("free")]
                else:
                    counts = [int(n) for n in re.findall(r"\b(\d{2,3})\b", json.dumps(data.get("pages", [])))]
                for count in counts:
                    if count in sent:
                        began, measured = sent.pop(count) if frame["topic"] == "panel/darcy" else sent[count]
                        if not measured:
                            break
                        seen[frame["topic"]].append(arrived - began)
                        if frame["topic"] == "parking/darcy":
                            timeline.append((began - start - WARM_UP_S, arrived - began))
                        break

        listener = asyncio.create_task(listen())
        await asyncio.sleep(1.0)
        gc.collect()
        gc.disable()  # the measuring client's own collections would show as the server's latency
        interval = 1 / rate
        start = time.perf_counter()
        posts: list[asyncio.Task[None]] = []

        async def post(free: int, measured: bool) -> None:
            sent[free] = (time.perf_counter(), measured)
            body = parking_notification(DARCY, free, datetime.now(UTC))
            async with http.post(f"{base}/feeds/ngsi", data=body,
                                 headers={"Content-Type": "application/json", **headers}) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1

        n, warm_up = 0, int(WARM_UP_S * rate)  # the client's connections open, the server's first reads are done
        while (now := time.perf_counter()) - start < seconds + WARM_UP_S:
            due = start + n * interval
            if now < due:
                await asyncio.sleep(due - now)
            posts.append(asyncio.create_task(post(FREE_FROM + n % FREE_SPAN, n >= warm_up)))
            n += 1
        n -= warm_up
        await asyncio.gather(*posts)
        await asyncio.sleep(2.0)
        listener.cancel()
        gc.enable()
    result: dict[str, Any] = {"deliveries": n, "statuses": statuses,
                              "achieved_rate": round(n / seconds, 1),
                              "slowest": [(round(at, 2), round(latency * 1000)) for at, latency in
                                          sorted(timeline, key=lambda x: -x[1])[:12]]}
    for topic, latencies in seen.items():
        if latencies:
            ms = [x * 1000 for x in latencies]
            result[topic] = {"updates": len(ms), "p50_ms": round(statistics.median(ms), 1),
                             "p99_ms": round(percentile(ms, 0.99), 1), "max_ms": round(max(ms), 1)}
    return result


def loop_lag(base_port: int) -> dict[str, float]:
    """The engine's ``signage_loop_lag_seconds`` histogram: wake-ups counted, and those later than 10 ms."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{base_port}/metrics") as response:
        text = response.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("signage_loop_lag_seconds_count"):
            found["wakeups"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith('signage_loop_lag_seconds_bucket{le="0.01"}'):
            found["within_10ms"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("signage_loop_lag_seconds_sum"):
            found["lag_s"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("signage_gc_pause_seconds_count") or line.startswith("signage_gc_pause_seconds_sum"):
            name = line.split("{")[0].rsplit("_", 1)[1]  # count or sum
            generation = line.split('generation="')[1].split('"')[0]
            found[f"gc{generation}_{name}"] = float(line.rsplit(" ", 1)[1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--pin", action="store_true",
                        help="servers on CPU 0, this client on CPU 1 (Redis where the kernel puts it)")
    args = parser.parse_args()
    results: dict[str, Any] = {"rate": args.rate, "seconds": args.seconds,
                               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                                          f"Python {platform.python_version()}"}
    port = 18190
    pin = ["taskset", "-c", "0"] if args.pin else []
    if args.pin:
        os.sched_setaffinity(0, {1})
    with engine_on_redis(args.redis, port, pin=pin) as (_, env):
        token = feed_token("ngsi", env)
        time.sleep(3.0)
        before = loop_lag(port)
        results["engine"] = asyncio.run(measure(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"},
                                                args.rate, args.seconds))
        after = loop_lag(port)
        wakeups = after["wakeups"] - before["wakeups"]
        results["engine"]["loop"] = {
            "wakeups": int(wakeups), "later_than_10ms": int(wakeups - (after["within_10ms"] - before["within_10ms"])),
            "mean_lag_ms": round((after["lag_s"] - before["lag_s"]) / max(1, wakeups) * 1000, 2),
            "collections": {f"gen{g}": {"count": int(after.get(f"gc{g}_count", 0) - before.get(f"gc{g}_count", 0)),
                                        "total_ms": round((after.get(f"gc{g}_sum", 0) - before.get(f"gc{g}_sum", 0))
                                                          * 1000, 1)} for g in range(3)}}
    baseline = subprocess.Popen([*pin, sys.executable, "-c", BASELINE, str(port + 1)], stdout=subprocess.PIPE,
                                text=True)
    try:
        assert baseline.stdout is not None and "listening" in baseline.stdout.readline()
        results["baseline"] = asyncio.run(measure(f"http://127.0.0.1:{port + 1}", {}, args.rate, args.seconds))
    finally:
        baseline.terminate()
        baseline.wait()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
