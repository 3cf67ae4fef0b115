"""A burst the engine cannot absorb, or an engine that stopped, never makes the city lose what it accepted: past
the backlog limit, feed deliveries get 503 with Retry-After (the sender keeps and resends them); once the engine
is back and has caught up they are accepted again, and every delivery that got 202 reached the live state."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from signage.config import demo_config_path
from signage.ingest_backlog import REFRESH_S
from signage.settings import Settings
from signage.store import Store
from signage.web.keys import ENGINE, INTAKE, STORE
from tests.helpers import eventually, feed_auth, parking_body

LIMIT = 5


async def _app(aiohttp_client: Any, redis_url: str, redis_prefix: str, tmp_path: Path, role: str) -> Any:
    from signage.web.app import create_app

    settings = Settings(config_path=demo_config_path(), role=role, redis_url=redis_url, redis_prefix=redis_prefix,
                        sqlite_path=str(tmp_path / "unused.sqlite3"), ingest_backlog_limit=LIMIT)
    return await aiohttp_client(create_app(settings))


async def _position(store: Store) -> int:
    document = await store.get("engine", "position")
    return int(document["offset"]) if document else 0


async def test_deliveries_are_deferred_not_lost_while_the_engine_is_behind(aiohttp_client: Any, redis_url: str,
                                                                         redis_prefix: str, tmp_path: Path) -> None:
    web = await _app(aiohttp_client, redis_url, redis_prefix, tmp_path, "web")
    engine = await _app(aiohttp_client, redis_url, redis_prefix, tmp_path, "engine")
    await engine.app[ENGINE].started.wait()
    auth = {"Content-Type": "application/json", **await feed_auth(web, "ngsi")}

    async def deliver(free: int) -> Any:
        return await web.post("/feeds/ngsi", data=parking_body("darcy", free), headers=auth)

    assert (await deliver(100)).status == 202
    await eventually(lambda: _position(web.app[STORE]), what="the engine says how far it has applied")
    await engine.close()  # the engine stops (a crash, a long pause): deliveries pile up
    await asyncio.sleep(REFRESH_S)  # intakes read the engine's position this often

    statuses = {}
    for free in range(101, 101 + LIMIT + 3):
        response = await deliver(free)
        statuses[free] = response.status
        if response.status == 503:
            body = await response.json()
            assert body["error"]["code"] == "engine_behind" and int(response.headers["Retry-After"]) >= 1
    accepted = [free for free, status in statuses.items() if status == 202]
    assert len(accepted) == LIMIT and set(statuses.values()) == {202, 503}
    assert await web.app[INTAKE].backlog.behind() == LIMIT

    engine = await _app(aiohttp_client, redis_url, redis_prefix, tmp_path, "engine")  # back, from its checkpoint

    async def accepted_again() -> bool:
        response = await deliver(200)
        return bool(response.status == 202)

    await eventually(accepted_again, timeout=15, what="deliveries are accepted once the engine has caught up")

    async def latest_free() -> Any:
        items = (await (await web.get("/api/v1/open/parking")).json())["items"]
        return next(p for p in items if p["id"] == "darcy")["free"] == 200

    await eventually(latest_free, timeout=15, what="the last accepted delivery reached the live state")
    # The engine has applied everything that got 202: it says so through the position the intake reads.
    backlog = web.app[INTAKE].backlog

    async def caught_up() -> bool:
        return await backlog.behind() == 0 and await _position(web.app[STORE]) == 1 + LIMIT + 1

    await eventually(caught_up, what="the engine applied every accepted delivery")
    await engine.close()
