"""WebSocket ``/ws``: topic subscriptions with offsets and epochs, replay after a reconnect, bounded backlogs.

Protocol (JSON text frames):
  → {"type": "subscribe", "topics": [...], "since": {topic: {"offset": n, "epoch": e}}}
  ← {"type": "subscribed", "topic": t, "recovered": bool} then {"type": "update", ...} frames
  → {"type": "unsubscribe", "topics": [...]}
  ← {"type": "error", "code": ..., "message": ...}
With ``since``, exactly the missed updates are replayed (``recovered: true``); when that cannot be known the
latest state is sent with ``recovered: false``. Without ``since``, the latest state is sent on subscribe. Topics
are the configuration's public families and ``alerts/``, ``panel/`` (``Config.topic_names``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web

from channels.fanout import CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_TOPICS, Connection, control_frame
from signage.safe_json import JsonProblem, loads
from signage.web.connection_limits import TRY_AGAIN_LATER, refusal_close
from signage.web.errors import UNAVAILABLE
from signage.web.keys import ADDRESSES, BUS, CONFIG, HUB, METRICS, SETTINGS, SOCKETS

__all__ = ["websocket_handler"]

WRITER_LIMIT = 16 * 1024
log = logging.getLogger("signage.ws")


def _parse_since(value: Any, topic: str) -> dict[str, Any] | None:
    entry = value.get(topic) if isinstance(value, dict) else None
    if entry is None:
        return None
    if (not isinstance(entry, dict) or isinstance(entry.get("offset"), bool)
            or not isinstance(entry.get("offset"), int) or not isinstance(entry.get("epoch"), str)):
        raise ValueError(f"since.{topic} must be {{\"offset\": integer, \"epoch\": text}}")
    return entry


async def _drain(ws: web.WebSocketResponse, connection: Connection) -> None:
    """Send what waits in the backlog, then end: an idle connection keeps no writer task."""
    while (text := connection.take()) is not None:
        await ws.send_str(text)


class _Session:
    """One WebSocket's writer and closing, as methods rather than closures: ten thousand idle connections
    should cost as little as possible."""

    __slots__ = ("closing", "connection", "writer", "ws")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.connection: Connection | None = None
        self.writer: asyncio.Task[None] | None = None
        self.closing: asyncio.Task[bool] | None = None

    def start_writer(self) -> None:
        if (self.writer is None or self.writer.done()) and self.connection is not None:
            self.writer = asyncio.create_task(_drain(self.ws, self.connection), name="ws-writer")

    def stop_writer(self) -> None:
        if self.writer is not None:
            self.writer.cancel()

    def close_with(self, code: int, reason: bytes) -> None:
        # The writer may be stuck waiting for this client's socket: stop it, so that the close frame (whose
        # reason says why) goes now.
        self.stop_writer()
        self.closing = asyncio.create_task(self.ws.close(code=code, message=reason))

    def drop(self) -> None:
        """Too slow: the client reconnects and recovers with ``since``."""
        self.close_with(CLOSE_SLOW_CONSUMER, b"too slow: reconnect and resubscribe with since")

    def error(self, code: str, message: str) -> None:
        if self.connection is not None:
            self.connection.send(control_frame(type="error", code=code, message=message))


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    # No permessage-deflate: a compression context costs tens of KiB per connection, and frames could no
    # longer be shared between clients.
    # The writer waits for the socket every WRITER_LIMIT bytes, so a client that stops reading holds at most the
    # transport's high-water mark and that much before its backlog takes over.
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_s, max_msg_size=settings.ws_max_message_bytes,
                               compress=False, writer_limit=WRITER_LIMIT)
    await ws.prepare(request)
    sock = request.transport.get_extra_info("socket") if request.transport is not None else None
    if sock is not None and settings.ws_socket_buffer_bytes:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.ws_socket_buffer_bytes)
    address = request.remote or "?"
    slots = app[ADDRESSES]
    refusal = slots.take(address)
    if refusal is not None:
        code, reason = refusal_close(refusal, settings.ws_max_per_address)
        await ws.close(code=code, message=reason)
        return ws
    # Served here rather than in a function of its own: every frame a connection waits in is memory it keeps.
    hub, metrics = app[HUB], app[METRICS]
    app[SOCKETS].add(ws)
    metrics.ws_connections.inc()
    session = _Session(ws)
    transport = request.transport
    connection = session.connection = Connection(
        settings.ws_backlog, session.drop, transport if isinstance(transport, asyncio.Transport) else None,
        session.start_writer)
    try:
        async for message in ws:
            stop = await _command(request, session, message)
            del message  # an idle connection keeps nothing of the last frame it sent
            if stop or connection.overflowed or session.closing is not None:
                break
    finally:
        slots.release(address)  # first: whatever the rest of the goodbye meets, the address gets its slot back
        app[SOCKETS].discard(ws)
        for topic in list(connection.topics):
            connection.unsubscribe(hub, topic)
        if connection.overflowed:
            metrics.ws_dropped.inc()
        connection.close()
        if session.writer is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(session.writer, timeout=5)
        if session.closing is not None:
            with contextlib.suppress(Exception):
                await session.closing
        metrics.ws_connections.dec()
        if not ws.closed:
            await ws.close(code=WSCloseCode.OK)
    return ws


async def _command(request: web.Request, session: _Session, message: aiohttp.WSMessage) -> bool:
    """Act on one frame from the client; True when the connection must end (its close is under way)."""
    app = request.app
    settings, hub, bus = app[SETTINGS], app[HUB], app[BUS]
    connection = session.connection
    assert connection is not None
    error = session.error
    if message.type is not WSMsgType.TEXT:
        if message.type is WSMsgType.BINARY:
            error("unsupported_frame", "send JSON text frames")
        return False
    try:
        command = loads(message.data)
    except JsonProblem as exc:
        error("bad_json", f"the frame is not acceptable JSON: {exc}")
        return False
    kind = command.get("type") if isinstance(command, dict) else None
    topics = command.get("topics") if isinstance(command, dict) else None
    if kind not in ("subscribe", "unsubscribe", "ping"):
        error("unknown_type", "type must be subscribe, unsubscribe or ping")
        return False
    if kind == "ping":
        connection.send(control_frame(type="pong"))
        return False
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        error("bad_topics", "topics must be a list of topic names")
        return False
    for topic in topics:
        if not app[CONFIG].current.topic_names.match(topic):  # the live families
            error("unknown_topic", f"{topic[:140]!r} is not a topic (e.g. parking/darcy, panel/gare)")
        elif kind == "unsubscribe":
            connection.unsubscribe(hub, topic)
        elif topic in connection.topics:
            continue
        elif len(connection.topics) >= settings.ws_max_topics:
            refused = f"at most {settings.ws_max_topics} topics per connection"
            session.close_with(CLOSE_TOO_MANY_TOPICS, refused.encode())
            return True
        else:
            try:
                since = _parse_since(command.get("since"), topic)
            except ValueError as exc:
                error("bad_since", str(exc))
                continue
            try:
                await connection.subscribe(hub, bus, topic, since)
            except UNAVAILABLE as exc:
                # The bus cannot be read for now (Redis restarting, its pool exhausted for too long): the
                # client comes back later rather than waiting here with its socket open.
                log.warning("subscribe to %s: bus unavailable (%s)", topic[:140], type(exc).__name__)
                session.close_with(*TRY_AGAIN_LATER)
                return True
    return False
