"""Server-Sent Events: the ``/ws`` stream for clients that cannot use WebSocket (``text/event-stream``).

``GET /api/v1/events?topics=parking/darcy,alerts/dijon-centre``. Each update is an ``update`` event whose data is
the same JSON as on ``/ws``; its ``id`` holds the position of every topic of the stream
(``parking/darcy=e1:12;alerts/dijon-centre=e1:3``), so the ``Last-Event-ID`` a browser sends back on reconnect
says where each topic stopped: the missed updates are replayed exactly, or ``subscribed`` says
``recovered: false`` and the latest state follows. A comment line every 15 s keeps proxies from closing an
idle stream; a client that falls behind its backlog is ended and reconnects with its ``Last-Event-ID``.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from aiohttp import web

from channels.fanout import Connection
from signage.web.connection_limits import RETRY_LATER_S, refusal_error
from signage.web.errors import UNAVAILABLE, json_error
from signage.web.keys import ADDRESSES, BUS, CONFIG, HUB, SETTINGS

__all__ = ["parse_last_event_id", "routes"]

routes = web.RouteTableDef()
KEEPALIVE_S = 15.0


def parse_last_event_id(value: str, topic_names: re.Pattern[str]) -> dict[str, dict[str, Any]]:
    """``topic=epoch:offset;…`` → ``{topic: {"epoch": …, "offset": …}}``; unreadable parts are ignored (those
    topics start again from their latest state, with ``recovered: false``)."""
    positions: dict[str, dict[str, Any]] = {}
    for part in value.split(";"):
        topic, _, position = part.partition("=")
        epoch, _, offset = position.rpartition(":")
        if topic_names.match(topic) and epoch and offset.isdigit():
            positions[topic] = {"epoch": epoch, "offset": int(offset)}
    return positions


def _event_id(positions: dict[str, tuple[str, int]]) -> str:
    return ";".join(f"{topic}={epoch}:{offset}" for topic, (epoch, offset) in sorted(positions.items()))


@routes.get("/api/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    topics = [t for t in request.query.get("topics", "").split(",") if t]
    if not topics:
        raise json_error(web.HTTPBadRequest, "bad_topics", "give topics=…, comma-separated (e.g. parking/darcy)")
    topic_names = app[CONFIG].current.topic_names
    bad = next((t for t in topics if not topic_names.match(t)), None)
    if bad is not None:
        raise json_error(web.HTTPBadRequest, "unknown_topic", f"{bad[:140]!r} is not a topic")
    if len(set(topics)) > settings.ws_max_topics:
        raise json_error(web.HTTPBadRequest, "too_many_topics", f"at most {settings.ws_max_topics} topics")
    address = request.remote or "?"
    last = request.headers.get("Last-Event-ID") or request.query.get("last_event_id", "")
    since = parse_last_event_id(last[:8192], topic_names)
    slots = app[ADDRESSES]
    refusal = slots.take(address)
    if refusal is not None:
        raise refusal_error(refusal, settings.ws_max_per_address)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    try:
        await response.prepare(request)
    except BaseException:
        slots.release(address)
        raise
    connection = Connection(settings.ws_backlog)
    positions: dict[str, tuple[str, int]] = {t: (p["epoch"], p["offset"]) for t, p in since.items() if t in topics}
    try:
        await response.write(b"retry: 2000\n\n")
        try:
            for topic in dict.fromkeys(topics):
                await connection.subscribe(app[HUB], app[BUS], topic, since.get(topic))
        except UNAVAILABLE:
            # The bus cannot be read for now: the browser reconnects after the retry time, with its Last-Event-ID.
            await response.write(f"retry: {RETRY_LATER_S * 1000 * 2}\n\n".encode())
            return response
        while not connection.overflowed:
            try:
                text = await connection.next_text(timeout=KEEPALIVE_S)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if text is None:
                break
            frame = json.loads(text)
            if frame["type"] == "update":
                positions[frame["topic"]] = (frame["epoch"], frame["offset"])
                chunk = f"id: {_event_id(positions)}\nevent: update\ndata: {text}\n\n"
            else:
                chunk = f"event: {frame['type']}\ndata: {text}\n\n"
            await response.write(chunk.encode())
    except ConnectionResetError:
        pass  # the client went away
    finally:
        connection.close()
        for topic in list(connection.topics):
            connection.unsubscribe(app[HUB], topic)
        slots.release(address)
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response
