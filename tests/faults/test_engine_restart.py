"""The engine killed with ``kill -9`` and started again: clients see no value older than one they had and no
update twice, panels do not flap, and no phone gets the same alert twice; the engine goes on where it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from signage.bus.redis import RedisBus
from signage.demo.payloads import cap_alert
from signage.store.redis import RedisStore
from signage.work_queue.redis import RedisWorkQueue
from tests.faults.deployment import Recorder, deployment, duplicates
from tests.helpers import eventually, parking_body

TOPICS = ["parking/darcy", "panel/darcy", "alerts/cote-d-or"]


async def test_an_engine_killed_and_restarted_replays_nothing_and_pushes_nothing_twice(
        redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    bus, store = RedisBus(redis_url, redis_prefix), RedisStore(redis_url, redis_prefix)
    jobs = RedisWorkQueue(redis_url, redis_prefix)
    recorder = Recorder()
    async with deployment(tmp_path, redis_url, redis_prefix) as city, aiohttp.ClientSession() as http:
        city.start("engine", "engine")
        city.start("web", "web")
        city.start("push", "push")
        ngsi, cap = city.token("ngsi"), city.token("cap")
        await recorder.follow(http, city.url("web"), TOPICS)
        await eventually(lambda: len(recorder.subscribed) == len(TOPICS), what="every topic subscribed")
        for phone in ("ines", "jack"):
            await city.subscribe_phone(http, "web", phone, ["alerts/cote-d-or"])

        async def deliver(free: int) -> None:
            async with http.post(f"{city.url('web')}/feeds/ngsi", data=parking_body("darcy", free),
                                 headers={"Content-Type": "application/json", **ngsi}) as response:
                assert response.status == 202, await response.text()

        async def alert(identifier: str, headline: str) -> None:
            now = datetime.now(UTC)
            async with http.post(f"{city.url('web')}/feeds/cap", headers=cap, data=cap_alert(
                    identifier, now, now + timedelta(hours=3), headline_fr=headline,
                    headline_en=headline)) as response:
                assert response.status == 202, await response.text()

        def darcy_seen(free: int) -> bool:
            return any(f["data"].get("free") == free for f in recorder.of("parking/darcy"))

        for free in range(50, 60):
            await deliver(free)
        await alert("FO1", "Crue de l'Ouche")
        await eventually(lambda: len(city.push.received) == 2, timeout=20, what="the first alert pushed")
        await eventually(lambda: darcy_seen(59), timeout=15)

        async def checkpointed() -> bool:  # the engine wrote its state with its position at the last entry
            saved = await store.get("engine", "checkpoint")
            head = await bus.latest("_ingest")
            return saved is not None and head is not None and saved["ingest"]["offset"] == head.offset

        await eventually(checkpointed, timeout=10, what="a checkpoint at the newest entry")
        await deliver(60)
        await deliver(61)  # maybe applied, maybe checkpointed, when the engine dies
        city.kill("engine")
        await deliver(62)  # while no engine runs: waits in _ingest
        city.start("engine", "engine")
        await deliver(63)
        await eventually(lambda: darcy_seen(63), timeout=20, what="live values again after the restart")
        await alert("FO2", "Orages violents")  # a marker: once both phones have it, any resent FO1 came before
        await eventually(lambda: len(city.push.received) >= 4, timeout=20, what="the second alert pushed")

        async def every_job_done() -> bool:
            return await jobs.pending() == 0

        await eventually(every_job_done, timeout=20, what="every push job acknowledged")
        darcy = [f["data"]["free"] for f in recorder.of("parking/darcy")]
        assert darcy == sorted(set(darcy)), f"a value went back or came twice: {darcy}"
        # Values are states: while catching up the engine publishes only the newest of each topic, and deliveries
        # that waited together are one step, so a value may never show if a newer one came with it.
        assert set(darcy) <= set(range(50, 64)) and 59 in darcy and darcy[-1] == 63
        offsets = [f["offset"] for f in recorder.of("parking/darcy")]
        assert offsets == sorted(set(offsets))
        assert duplicates(recorder.of("panel/darcy")) == []  # the panel did not flap
        assert duplicates(recorder.of("alerts/cote-d-or")) == []
        bodies = sorted((r.name, r.json()["body"]) for r in city.push.received)
        assert len(bodies) == 4 and len(set(bodies)) == 4, bodies  # each alert once per phone
        assert city.push.problems == []
    await recorder.close()
    await jobs.close()
    await store.close()
    await bus.close()
