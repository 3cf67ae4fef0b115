"""Redis with a replica and Sentinels: every process points at the Sentinels; the primary is killed while
deliveries flow; the Sentinels promote the replica and the deployment goes on against it, with no value older
than one a client already had."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiohttp

from tests.faults.deployment import Recorder, deployment
from tests.faults.redis_server import Sentinels
from tests.helpers import eventually, parking_body


async def test_a_sentinel_failover_under_load_is_ridden_out(tmp_path: Path) -> None:
    redis_setup = Sentinels(tmp_path / "redis")
    redis_setup.start()
    recorder = Recorder()
    accepted: list[int] = []
    try:
        async with deployment(tmp_path, redis_setup.url, "signage:") as city, aiohttp.ClientSession() as http:
            city.start("engine", "engine")
            city.start("web", "web")
            ngsi = city.token("ngsi")
            await recorder.follow(http, city.url("web"), ["parking/darcy"])
            await eventually(lambda: len(recorder.subscribed) == 1)

            async def load() -> None:  # ten deliveries a second, throughout
                free = 0
                while True:
                    free += 1
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.post(f"{city.url('web')}/feeds/ngsi", data=parking_body("darcy", free),
                                             headers={"Content-Type": "application/json", **ngsi}) as response:
                            if response.status == 202:
                                accepted.append(free)
                            else:
                                assert response.status == 503, await response.text()  # never a 500
                    await asyncio.sleep(0.1)

            flowing = asyncio.create_task(load())
            await eventually(lambda: len(recorder.of("parking/darcy")) >= 10, timeout=15, what="values flowing")
            old_primary = redis_setup.kill_primary()
            try:
                await eventually(lambda: redis_setup.primary_port() != old_primary, timeout=30, what="a new primary")
            except AssertionError as error:  # the Sentinels' own account says why they did not promote
                raise AssertionError(f"{error}\n{redis_setup.events()}") from None
            promoted = len(accepted)
            await eventually(lambda: len(accepted) >= promoted + 20, timeout=30, what="deliveries accepted again")
            newest = accepted[-1]
            await eventually(lambda: any(f["data"]["free"] >= newest for f in recorder.of("parking/darcy")),
                             timeout=15, what="the newest accepted value published")
            flowing.cancel()
            await asyncio.gather(flowing, return_exceptions=True)
        frees = [f["data"]["free"] for f in recorder.of("parking/darcy")]
        assert frees == sorted(set(frees)), "a client saw a value older than one it had, or one twice"
    finally:
        await recorder.close()
        redis_setup.stop()
