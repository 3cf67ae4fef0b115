"""/ws: topics, offsets and epochs, replay after reconnect, errors, and slow clients dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from channels.fanout import CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_CONNECTIONS, CLOSE_TOO_MANY_TOPICS
from signage.config import demo_config_path
from signage.settings import Settings
from signage.web.keys import BUS, SETTINGS
from tests.helpers import eventually, next_frame, post_parking


def is_update(topic: str):  # type: ignore[no-untyped-def]
    return lambda f: f["type"] == "update" and f["topic"] == topic


async def test_subscribe_sends_the_latest_state_then_live_updates(client) -> None:  # type: ignore[no-untyped-def]
    await post_parking(client, "darcy", 120)
    ws = await client.ws_connect("/ws")
    first = None
    for _ in range(50):  # the engine publishes asynchronously after the 202
        await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
        subscribed = await next_frame(ws, lambda f: f["type"] == "subscribed")
        assert subscribed == {"type": "subscribed", "topic": "parking/darcy", "recovered": False}
        try:
            first = await next_frame(ws, is_update("parking/darcy"), timeout=0.2)
            break
        except TimeoutError:
            await ws.send_json({"type": "unsubscribe", "topics": ["parking/darcy"]})
    assert first is not None and first["data"]["free"] == 120 and first["data"]["stale"] is False
    await post_parking(client, "darcy", 119)
    second = await next_frame(ws, is_update("parking/darcy"))
    assert second["data"]["free"] == 119
    assert second["offset"] == first["offset"] + 1 and second["epoch"] == first["epoch"]
    await ws.close()


async def test_a_reconnecting_client_gets_exactly_what_it_missed(client) -> None:  # type: ignore[no-untyped-def]
    bus = client.app[BUS]
    seen = await bus.publish("parking/monge", {"free": 1})
    for free in (2, 3, 4):
        await bus.publish("parking/monge", {"free": free})
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["parking/monge"],
                        "since": {"parking/monge": {"offset": seen.offset, "epoch": seen.epoch}}})
    assert (await next_frame(ws))["recovered"] is True
    replayed = [await next_frame(ws, is_update("parking/monge")) for _ in range(3)]
    assert [f["data"]["free"] for f in replayed] == [2, 3, 4]
    await bus.publish("parking/monge", {"free": 5})
    assert (await next_frame(ws, is_update("parking/monge")))["data"]["free"] == 5
    await ws.close()


async def test_an_unknown_epoch_gives_recovered_false_and_the_latest_state(client) -> None:  # type: ignore[no-untyped-def]
    bus = client.app[BUS]
    await bus.publish("air/dijon-metropole", {"index": 2})
    latest = await bus.publish("air/dijon-metropole", {"index": 3})
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["air/dijon-metropole"],
                        "since": {"air/dijon-metropole": {"offset": 1, "epoch": "gone"}}})
    assert (await next_frame(ws))["recovered"] is False
    frame = await next_frame(ws, is_update("air/dijon-metropole"))
    assert (frame["offset"], frame["data"]) == (latest.offset, {"index": 3})
    await ws.close()


async def test_bad_requests_get_error_frames_and_the_connection_stays_usable(client) -> None:  # type: ignore[no-untyped-def]
    ws = await client.ws_connect("/ws")
    await ws.send_str("not json")
    assert (await next_frame(ws))["code"] == "bad_json"
    await ws.send_json({"type": "dance"})
    assert (await next_frame(ws))["code"] == "unknown_type"
    await ws.send_json({"type": "subscribe", "topics": ["../etc/passwd"]})
    assert (await next_frame(ws))["code"] == "unknown_topic"
    await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"], "since": {"parking/darcy": {"offset": "x"}}})
    assert (await next_frame(ws))["code"] == "bad_since"
    await ws.send_json({"type": "ping"})
    assert (await next_frame(ws))["type"] == "pong"
    await ws.close()


async def test_a_slow_client_is_dropped_and_the_others_keep_receiving(client) -> None:  # type: ignore[no-untyped-def]
    settings = client.app[SETTINGS]
    bus = client.app[BUS]
    slow = await client.ws_connect("/ws")
    fast = await client.ws_connect("/ws")
    for ws in (slow, fast):
        await ws.send_json({"type": "subscribe", "topics": ["parking/tivoli"]})
        await next_frame(ws, lambda f: f["type"] == "subscribed")
    # The slow client never reads: once the sockets' buffers are full, its backlog fills and it is dropped.
    # The fast one reads as it goes and gets every update, in order.
    total = settings.ws_backlog * 4
    filler = "x" * 16_384

    async def read_all() -> list[int]:
        received: list[int] = []
        while len(received) < total:
            frame = await next_frame(fast, is_update("parking/tivoli"))
            received.append(frame["data"]["n"])
        return received

    reader = asyncio.create_task(read_all())
    for n in range(total):  # a busy feed: a thousand updates a second, each too big to linger in buffers
        await bus.publish("parking/tivoli", {"n": n, "filler": filler})
        await asyncio.sleep(0.001)
    assert await asyncio.wait_for(reader, timeout=30) == list(range(total))
    codes = set()
    while True:
        message = await asyncio.wait_for(slow.receive(), timeout=5)
        if message.type.name != "TEXT":
            codes.add(message.data)  # the close frame's code, as a browser's CloseEvent.code reports it
            break
    assert CLOSE_SLOW_CONSUMER in codes


async def _close_code(ws: Any) -> int:
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout=5)
        if message.type.name in ("CLOSE", "CLOSING", "CLOSED"):
            return int(ws.close_code or message.data)


async def test_limits_are_refused_with_clear_close_codes(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from signage.web.app import create_app

    settings = Settings(config_path=demo_config_path(), role="web", redis_url=None,
                        sqlite_path=str(tmp_path / "s.sqlite3"), ws_max_per_address=3, ws_max_topics=3,
                        ws_max_message_bytes=1024)
    client = await aiohttp_client(create_app(settings))
    # Message size: RFC 6455's 1009.
    big = await client.ws_connect("/ws")
    await big.send_str("x" * 1025)
    assert await _close_code(big) == 1009
    # Topics per connection.
    many = await client.ws_connect("/ws")
    await many.send_json({"type": "subscribe", "topics": [f"parking/p{n}" for n in range(4)]})
    assert await _close_code(many) == CLOSE_TOO_MANY_TOPICS
    # Connections per address.
    held = [await client.ws_connect("/ws") for _ in range(3)]
    extra = await client.ws_connect("/ws")
    assert await _close_code(extra) == CLOSE_TOO_MANY_CONNECTIONS
    await held[0].send_json({"type": "ping"})
    assert (await next_frame(held[0]))["type"] == "pong"  # the others are untouched
    await held[0].close()
    async def admitted() -> Any:  # the server notices the close, then the place is free again
        attempt = await client.ws_connect("/ws")
        await attempt.send_json({"type": "ping"})
        message = await asyncio.wait_for(attempt.receive(), timeout=5)
        return attempt if message.type.name == "TEXT" else None

    again = await eventually(admitted)
    for ws in (*held[1:], again):
        await ws.close()


async def test_an_update_is_encoded_once_as_the_websocket_update(client) -> None:  # type: ignore[no-untyped-def]
    from channels.hub import Outgoing
    from signage.web.keys import BUS

    outgoing = Outgoing(await client.app[BUS].publish("parking/darcy", {"free": "dix", "x": float("nan")}))
    assert outgoing.text is outgoing.text and outgoing.wire is outgoing.wire
    assert outgoing.text.startswith('{"type":"update","topic":"parking/darcy","offset":')
    assert '"x":null' in outgoing.text  # never NaN: browsers' JSON.parse refuses it
    assert outgoing.wire[:2] == bytes((0x81, len(outgoing.text.encode()))) and outgoing.wire.endswith(
        outgoing.text.encode())


async def test_an_idle_subscribed_connection_keeps_no_queue(client) -> None:  # type: ignore[no-untyped-def]
    from signage.web.keys import HUB

    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
    assert (await next_frame(ws))["type"] == "subscribed"
    await post_parking(client, "darcy", 44)
    update = await next_frame(ws, lambda f: f["type"] == "update" and f["data"].get("free") == 44)
    assert update["topic"] == "parking/darcy"
    await ws.send_json({"type": "ping"})
    assert (await next_frame(ws))["type"] == "pong"
    # Control frames and updates went straight to the socket: thousands of idle phones cost no backlog each.
    (connection,) = client.app[HUB].subscribers("parking/darcy")
    assert connection._backlog is None and connection._ready is None
    await ws.close()
