"""Faults under load: what clients and phones see when the engine is killed, when a standby takes over, and when
Redis restarts, with the engine as it is and, in the same run, a baseline tree (an earlier commit) driven the same
way, side by side.

A deployment like a city's: a private ``redis-server`` with its append-only file, two web processes, the engine
(and later a second one), a push worker and a local push service; 200 WebSocket clients spread over both web
processes, each following three car parks and a panel, reconnecting with ``since`` when dropped; 20 NGSI
deliveries a second; two phones following the alerts. For each fault:

- ``recovery_s``: from the restart (engine), the kill (takeover) or Redis answering again, until every client has a
  value delivered after it;
- ``duplicates``: frames that carry what the client's previous frame on that topic carried (clock stamps aside);
- ``walked_back``: frames with a value older than one the client already had on that topic;
- ``republished``: frames whose value a client had already received;

(these three, and the answers, counted from five seconds before the fault to fifteen after it)
- ``lost``: clients whose last value of a car park is not the last delivery accepted for it, at the end;
- ``pushes_twice``: phones that got the same alert more than once;
- ``http``: the answers to deliveries during the fault (a 500 is a defect; a 503 tells the producer to retry).

Run: ``.venv/bin/python bench/faults.py [--clients 200] [--rate 20] [--baseline-tree /path/to/earlier/checkout]``
(``git worktree add /tmp/before <commit>`` makes one; its processes run with this virtualenv).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signage.demo.payloads import cap_alert  # noqa: E402
from tests.faults.deployment import deployment  # noqa: E402
from tests.faults.redis_server import RedisServer  # noqa: E402
from tests.helpers import parking_body  # noqa: E402

PARKS = ("darcy", "dauphine", "grangier")
TOPICS = [*(f"parking/{p}" for p in PARKS), "panel/darcy"]
CLOCK_FIELDS = ("age_s", "updated_at")


def content(data: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in data.items() if k not in CLOCK_FIELDS}, sort_keys=True)


@dataclass
class Client:
    """One WebSocket client: every update it got, per topic, and where it is, to recover with ``since``."""

    base: str
    frames: dict[str, list[tuple[float, dict[str, Any]]]] = field(default_factory=dict)
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def run(self, http: aiohttp.ClientSession) -> None:
        while True:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.ws_connect(f"{self.base}/ws") as ws:
                    await ws.send_json({"type": "subscribe", "topics": TOPICS, "since": self.positions})
                    async for message in ws:
                        frame = json.loads(message.data)
                        if frame["type"] == "update":
                            self.frames.setdefault(frame["topic"], []).append((time.monotonic(), frame["data"]))
                            self.positions[frame["topic"]] = {"offset": frame["offset"], "epoch": frame["epoch"]}
            await asyncio.sleep(0.2)


@dataclass
class Load:
    """Deliveries at a steady rate, round-robin over the car parks, with what each answer was."""

    base: list[str]
    headers: dict[str, str]
    rate: float
    accepted: dict[str, int] = field(default_factory=dict)
    answers: Counter[int] = field(default_factory=Counter)
    count: int = 0

    async def run(self, http: aiohttp.ClientSession) -> None:
        while True:
            self.count += 1
            park = PARKS[self.count % len(PARKS)]
            try:
                async with http.post(f"{self.base[self.count % len(self.base)]}/feeds/ngsi",
                                     data=parking_body(park, self.count),
                                     headers={"Content-Type": "application/json", **self.headers}) as response:
                    self.answers[response.status] += 1
                    if response.status == 202:
                        self.accepted[park] = self.count
            except (aiohttp.ClientError, OSError):
                self.answers[0] += 1
            await asyncio.sleep(1 / self.rate)


def measure(clients: list[Client], since: float, load: Load, pushes: Counter[str], fault_at: float,
            answers_before: Counter[int]) -> dict[str, Any]:
    duplicates = walked_back = republished = 0
    recovered_at = []
    for client in clients:
        for topic, frames in client.frames.items():
            seen: set[str] = set()
            newest = ""
            for at, data in frames:
                text = content(data)
                if at >= since:
                    if text in seen:
                        republished += 1
                    observed = str(data.get("observed_at", ""))
                    if topic.startswith("parking/") and observed and observed < newest:
                        walked_back += 1
                seen.add(text)
                newest = max(newest, str(data.get("observed_at", "")))
            duplicates += sum(1 for (_, a), (b_at, b) in itertools.pairwise(frames)
                              if b_at >= since and content(a) == content(b))
        fresh = [at for topic, frames in client.frames.items() if topic.startswith("parking/")
                 for at, _ in frames if at >= fault_at]
        recovered_at.append(min(fresh) if fresh else float("inf"))
    lost = sum(1 for client in clients for park in PARKS
               if park in load.accepted and (client.frames.get(f"parking/{park}") or [(0, {})])[-1][1].get("free")
               != load.accepted[park])
    during = load.answers - answers_before
    return {"recovery_s": round(max(recovered_at) - fault_at, 2), "duplicates": duplicates,
            "walked_back": walked_back, "republished": republished, "lost": lost,
            "pushes_twice": sum(1 for n in pushes.values() if n > 1),
            "http": {str(k): v for k, v in sorted(during.items())}}


async def scenario_run(tree: Path | None, clients_n: int, rate: float) -> dict[str, dict[str, Any]]:
    """The three faults, one after the other, on one deployment running ``tree``'s code (this one if None)."""
    results: dict[str, dict[str, Any]] = {}
    folder = Path(tempfile.mkdtemp(prefix="signage-faults-"))
    server = RedisServer(folder / "redis", persistent=True)
    server.start()
    extra = {"PYTHONPATH": str(tree)} if tree else {}
    try:
        async with deployment(folder, server.url, "signage:") as city, aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0)) as http:  # 200 sockets held open, and requests besides
            city.env.update(extra)
            city.start("engine", "engine")
            city.start("web1", "web")
            city.start("web2", "web")
            city.start("push", "push")
            ngsi, cap = city.token("ngsi"), city.token("cap")
            for phone in ("ines", "jack"):
                await city.subscribe_phone(http, "web1", phone, ["alerts/cote-d-or"])
            clients = [Client(city.url("web1" if n % 2 else "web2")) for n in range(clients_n)]
            tasks = [asyncio.create_task(c.run(http)) for c in clients]
            load = Load([city.url("web1"), city.url("web2")], ngsi, rate)
            tasks.append(asyncio.create_task(load.run(http)))

            async def alert(name: str) -> None:
                now = datetime.now(UTC)
                async with http.post(f"{city.url('web1')}/feeds/cap", headers=cap, data=cap_alert(
                        name, now, now + timedelta(hours=2), headline_fr=name, headline_en=name)) as response:
                    await response.read()

            def pushes(name: str) -> Counter[str]:
                return Counter(r.name for r in city.push.received if name in r.json().get("body", ""))

            async def fault(name: str, act: Any, settle_s: float = 15.0) -> None:
                # Counted from here: the five seconds before the fault too (two engines both publishing show there).
                since, before = time.monotonic(), Counter(load.answers)
                await alert(f"ALERTE-{name}")
                await asyncio.sleep(5)
                fault_at = await act()
                await asyncio.sleep(settle_s)
                results[name] = measure(clients, since, load, pushes(f"ALERTE-{name}"), fault_at, before)
                print(f"  {name}: {results[name]}", flush=True)

            await asyncio.sleep(5)  # every client connected and following

            async def restart_engine() -> float:
                city.kill("engine")
                await asyncio.sleep(5)
                await asyncio.to_thread(city.start, "engine", "engine")
                return time.monotonic()

            async def take_over() -> float:
                city.kill("engine")
                return time.monotonic()

            async def restart_redis() -> float:
                server.stop()
                await asyncio.sleep(10)
                server.start()
                return time.monotonic()

            await fault("engine kill -9, restart 5 s later", restart_engine)
            await asyncio.to_thread(city.start, "standby", "engine")
            await asyncio.sleep(3)
            await fault("leader kill -9, standby running", take_over)
            await fault("Redis (AOF) down 10 s", restart_redis)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--baseline-tree", type=Path, default=None)
    args = parser.parse_args()
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    if args.baseline_tree:
        print(f"baseline ({args.baseline_tree}):", flush=True)
        runs["baseline"] = asyncio.run(scenario_run(args.baseline_tree.resolve(), args.clients, args.rate))
    print("this tree:", flush=True)
    runs["engine"] = asyncio.run(scenario_run(None, args.clients, args.rate))
    print(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
