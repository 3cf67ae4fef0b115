"""A web process that cannot take more: a full process and a bus that cannot be read answer "try again later"
(WebSocket close 1013, HTTP 503 with Retry-After), and the pages the city ships come back by themselves after a
jittered delay."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from channels.address_slots import AddressSlots, Refusal, process_connection_limit
from channels.fanout import CLOSE_TRY_AGAIN_LATER
from signage.config import demo_config_path
from signage.settings import Settings
from tests.faults.redis_server import RedisServer
from tests.helpers import eventually, next_frame, until


async def _closed_with(ws: Any) -> tuple[int, str]:
    message = await asyncio.wait_for(ws.receive(), timeout=15)
    assert message.type.name in ("CLOSE", "CLOSING", "CLOSED"), message
    return int(ws.close_code), str(message.extra or "")


async def _web(aiohttp_client: Any, tmp_path: Path, **overrides: Any) -> Any:
    from signage.web.app import create_app

    settings = Settings(**{"config_path": demo_config_path(), "role": "all",
                           "sqlite_path": str(tmp_path / "s.sqlite3"), **overrides})
    return await aiohttp_client(create_app(settings))


def test_the_process_limit_leaves_room_below_the_open_file_limit() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert 0 < process_connection_limit() < soft
    slots = AddressSlots(per_address=2, in_all=3)
    assert [slots.take("a"), slots.take("a"), slots.take("a")] == [None, None, Refusal.ADDRESS_FULL]
    assert [slots.take("b"), slots.take("c")] == [None, Refusal.PROCESS_FULL]
    slots.release("a")
    assert slots.take("c") is None and slots.total == 3
    slots.release("nobody")  # a release without a take changes nothing
    assert slots.total == 3


async def test_a_full_process_answers_try_again_later_on_every_live_path(aiohttp_client: Any,
                                                                           tmp_path: Path) -> None:
    client = await _web(aiohttp_client, tmp_path, ws_max_connections=2)
    held = [await client.ws_connect("/ws") for _ in range(2)]
    for ws in held:
        await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
        assert (await next_frame(ws))["type"] == "subscribed"

    refused = await client.ws_connect("/ws")
    code, reason = await _closed_with(refused)
    assert code == CLOSE_TRY_AGAIN_LATER and "retry" in reason
    events = await client.get("/api/v1/events?topics=parking/darcy")
    assert events.status == 503 and int(events.headers["Retry-After"]) >= 2
    assert (await events.json())["error"]["code"] == "busy"
    content = await client.get("/api/v1/panels/darcy/content")
    poll = await client.get("/api/v1/panels/darcy/content?wait=5", headers={"If-None-Match": content.headers["ETag"]})
    assert poll.status == 503 and int(poll.headers["Retry-After"]) >= 2
    assert content.status == 200  # a plain poll holds nothing and is always answered

    await held[0].close()

    async def admitted() -> Any:
        ws = await client.ws_connect("/ws")
        await ws.send_json({"type": "ping"})
        message = await asyncio.wait_for(ws.receive(), timeout=5)
        return ws if message.type.name == "TEXT" else None

    again = await eventually(admitted, what="a place is free again once a client leaves")
    await held[1].send_json({"type": "ping"})
    assert (await next_frame(held[1]))["type"] == "pong"  # the held ones were never disturbed
    for ws in (held[1], again):
        await ws.close()


async def test_a_subscribe_that_cannot_read_the_bus_is_told_to_come_back(aiohttp_client: Any,
                                                                          tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", persistent=False)
    server.start()
    try:
        client = await _web(aiohttp_client, tmp_path, role="web", redis_url=server.url, redis_prefix="overload:")
        server.stop()
        ws = await client.ws_connect("/ws")
        await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
        code, reason = await _closed_with(ws)
        assert code == CLOSE_TRY_AGAIN_LATER and "retry" in reason
        events = await client.get("/api/v1/events?topics=parking/darcy")
        body = await asyncio.wait_for(events.text(), timeout=15)
        assert events.status == 200 and "retry: 4000" in body and "event: subscribed" not in body

        server.start()

        async def subscribed() -> Any:
            again = await client.ws_connect("/ws")
            await again.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
            message = await asyncio.wait_for(again.receive(), timeout=15)
            if message.type.name != "TEXT":
                return None
            return again

        again = await eventually(subscribed, timeout=20, what="subscribes work once Redis answers again")
        await again.close()
    finally:
        server.stop()


@pytest.mark.parametrize("page_path", ["/kiosk/gare", "/"])
async def test_the_shipped_pages_come_back_by_themselves_after_try_again_later(
        aiohttp_client: Any, tmp_path: Path, browser: Any, page_path: str) -> None:
    client = await _web(aiohttp_client, tmp_path, ws_max_connections=1)
    blocker = await client.ws_connect("/ws")
    await blocker.send_json({"type": "ping"})
    assert (await next_frame(blocker))["type"] == "pong"
    page = await browser.new_page()
    await page.add_init_script("""
        window.closes = []; window.subscribed = 0;
        const Native = window.WebSocket;
        window.WebSocket = function (url) {
          const ws = new Native(url);
          ws.addEventListener("close", function (event) { window.closes.push(event.code); });
          ws.addEventListener("message", function (event) {
            if (JSON.parse(event.data).type === "subscribed") window.subscribed += 1; });
          return ws;
        };
        window.WebSocket.prototype = Native.prototype;""")
    await page.goto(str(client.make_url(page_path)))
    await until(page, "window.closes.filter(c => c === 1013).length >= 1", timeout=15_000)
    # The delay after an overload is at least two seconds and spread out, so a storm does not come back at once.
    delays = await page.evaluate("Array.from({length: 50}, (_, i) => window.reconnectDelay(i % 3, 1013))")
    assert min(delays) >= 1000 and len({round(d) for d in delays}) > 40
    assert await page.evaluate("window.reconnectDelay(20, 1013)") <= 30_000
    assert await page.evaluate("window.subscribed") == 0
    assert await page.evaluate("document.getElementById('status').classList.contains('offline')")
    await blocker.close()
    await until(page, "window.subscribed > 0", timeout=30_000)
    await until(page, "!document.getElementById('status').classList.contains('offline')")
    await page.close()
