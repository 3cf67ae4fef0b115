"""Redis stopped for a while under a running deployment, restarted with its data (AOF) or without: feed
deliveries get 503 with Retry-After meanwhile, not 500; /readyz says not ready; within 5 s of Redis answering
again, deliveries reach WebSocket clients and phones get pushes (the push queue's group made again if lost).
Without persistence the Store loses its content too (tokens, subscriptions): the test gives them again, as an
operator would have to; the README says to run Redis with AOF."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from signage.demo.payloads import cap_alert
from tests.faults.deployment import Recorder, deployment
from tests.faults.redis_server import RedisServer
from tests.helpers import eventually, parking_body

LIVE_AGAIN_S = 5.0


@pytest.mark.parametrize("persistent", [True, False], ids=["aof", "no-persistence"])
async def test_a_redis_restart_is_survived_by_every_process(persistent: bool, tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", persistent=persistent)
    server.start()
    recorder = Recorder()
    try:
        async with deployment(tmp_path, server.url, "signage:") as city, aiohttp.ClientSession() as http:
            city.start("engine", "engine")
            city.start("web", "web")
            city.start("push", "push")
            ngsi, cap = city.token("ngsi"), city.token("cap")
            await recorder.follow(http, city.url("web"), ["parking/darcy"])
            await eventually(lambda: len(recorder.subscribed) == 1)
            await city.subscribe_phone(http, "web", "ines", ["alerts/cote-d-or"])

            async def deliver(free: int) -> aiohttp.ClientResponse:
                async with http.post(f"{city.url('web')}/feeds/ngsi", data=parking_body("darcy", free),
                                     headers={"Content-Type": "application/json", **ngsi}) as response:
                    await response.read()
                    return response

            async def readyz() -> Any:
                async with http.get(f"{city.url('web')}/readyz") as response:
                    return response.status, await response.json()

            def seen(free: int) -> bool:
                return any(f["data"].get("free") == free for f in recorder.of("parking/darcy"))

            assert (await deliver(10)).status == 202
            await eventually(lambda: seen(10), timeout=10)

            server.stop()
            refused = await deliver(11)
            assert refused.status == 503 and refused.headers["Retry-After"].isdigit()
            status, body = await readyz()
            assert status == 503 and body["checks"]["bus"] is False

            server.start()
            back = time.monotonic()
            if not persistent:  # the Store lost its tokens and subscriptions with the data: given again
                ngsi, cap = city.token("ngsi"), city.token("cap")
                await city.subscribe_phone(http, "web", "ines", ["alerts/cote-d-or"])

            async def delivered_and_published() -> bool:
                if not seen(12):
                    response = await deliver(12)
                    return response.status == 202 and seen(12)
                return True

            await eventually(delivered_and_published, timeout=LIVE_AGAIN_S, what="live again after Redis")
            live_after = time.monotonic() - back
            assert (await readyz())[0] == 200
            now = datetime.now(UTC)
            async with http.post(f"{city.url('web')}/feeds/cap", headers=cap, data=cap_alert(
                    "FO9", now, now + timedelta(hours=2), headline_fr="Crue", headline_en="Flood")) as response:
                assert response.status == 202
            await eventually(lambda: any(r.name == "ines" for r in city.push.received), timeout=LIVE_AGAIN_S,
                             what="a push after the outage")
            print(f"live {live_after:.1f} s after Redis answered ({'AOF' if persistent else 'no persistence'})")
            darcy = [f["data"]["free"] for f in recorder.of("parking/darcy")]
            assert darcy == sorted(darcy) and 11 not in darcy  # nothing refused was kept
    finally:
        await recorder.close()
        server.stop()
