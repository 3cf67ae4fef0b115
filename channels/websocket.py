"""WebSocket ``/ws``: topic subscriptions with offsets and epochs, replay after a reconnect, bounded backlogs.

Protocol (JSON text frames):
  → {"type": "subscribe", "topics": [...], "since": {topic: {"offset": n, "epoch": e}}}
  ← {"type": "subscribed", "topic": t, "recovered": bool} then {"type": "update", ...} frames
  → {"type": "unsubscribe", "topics": [...]}
  ← {"type": "error", "code": ..., "message": ...}
With ``since``, exactly the missed updates are replayed (``recovered: true``); when that cannot be known the
latest state is sent with ``recovered: false``. Without ``since``, the latest state is sent on subscribe.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from channels.hub import Hub
from signage.bus import Bus, Update
from signage.safe_json import JsonProblem, loads
from signage.web.keys import ADDRESSES, BUS, HUB, METRICS, SETTINGS, SOCKETS

__all__ = ["CLOSE_SLOW_CONSUMER", "CLOSE_TOO_MANY_CONNECTIONS", "CLOSE_TOO_MANY_TOPICS", "TOPIC_PATTERN",
           "Connection", "websocket_handler"]

TOPIC_PATTERN = re.compile(r"(parking|air|waste|transit|alerts|panel)/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
CLOSE_SLOW_CONSUMER = 4008  # the client fell behind its backlog: reconnect with ``since`` to recover
CLOSE_TOO_MANY_CONNECTIONS = 4029  # this address already holds the most connections allowed
CLOSE_TOO_MANY_TOPICS = 4030  # the connection asked for more topics than allowed
# A frame larger than the limit is closed by aiohttp with 1009 (message too big), as RFC 6455 says.
log = logging.getLogger("signage.ws")


def _frame(**fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def text_frame(text: str) -> bytes:
    """An RFC 6455 text frame as a server sends it (unmasked, unfragmented, uncompressed): the same bytes for
    every client, so an update is framed once however many receive it."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


def wire(update: Update) -> bytes:
    if not update._wire:
        update._wire.append(text_frame(update.frame()))
    return update._wire[0]


HIGH_WATER = 64 * 1024  # bytes waiting in a socket before its updates go through the bounded backlog instead


class Connection:
    """One client's subscriptions and its bounded backlog of frames to send.

    An idle connection holds no task and no queue: the backlog and its wake-up event are made when something
    first waits, and ``on_backlog`` is told so that the channel can start a writer for as long as it lasts.
    """

    __slots__ = ("_backlog", "_closed", "_limit", "_on_backlog", "_on_overflow", "_pending", "_ready", "_sent",
                 "_transport", "overflowed", "topics")

    def __init__(self, backlog: int, on_overflow: Callable[[], None] = lambda: None,
                 transport: asyncio.Transport | None = None,
                 on_backlog: Callable[[], None] = lambda: None) -> None:
        self._limit = backlog
        self._backlog: collections.deque[str] | None = None
        self._ready: asyncio.Event | None = None
        self._closed = False
        self._on_backlog = on_backlog
        self._on_overflow = on_overflow
        # With a transport, an update is written straight to the socket while nothing waits before it and the
        # socket keeps up: no task switch per client. Otherwise it waits in the bounded backlog.
        self._transport = transport
        self.topics: set[str] = set()
        self.overflowed = False
        self._sent: dict[str, tuple[str, int]] = {}  # topic -> (epoch, offset) last queued
        self._pending: dict[str, list[Update]] | None = None  # topics being subscribed: live updates wait here

    def send(self, text: str) -> None:
        if self.overflowed or self._closed:
            return
        if self._backlog is None or self._ready is None:
            self._backlog, self._ready = collections.deque(), asyncio.Event()
        if len(self._backlog) >= self._limit:
            self.overflowed = True
            self._on_overflow()
            return
        self._backlog.append(text)
        self._ready.set()
        self._on_backlog()

    def take(self) -> str | None:
        """The next frame waiting, or None."""
        if not self._backlog:
            return None
        return self._backlog.popleft()

    async def next_text(self, timeout: float | None = None) -> str | None:
        """Wait for the next frame; None once the connection is closed. Raises ``TimeoutError``."""
        while not self._closed:
            text = self.take()
            if text is not None:
                return text
            if self._ready is None:
                self._backlog, self._ready = collections.deque(), asyncio.Event()
            self._ready.clear()
            await asyncio.wait_for(self._ready.wait(), timeout)
        return None

    def close(self) -> None:
        self._closed = True
        if self._ready is not None:
            self._ready.set()

    def offer(self, update: Update) -> None:
        pending = self._pending.get(update.topic) if self._pending else None
        if pending is not None:
            pending.append(update)
            return
        self._queue_update(update)

    def _queue_update(self, update: Update) -> None:
        sent = self._sent.get(update.topic)
        if sent is not None and sent[0] == update.epoch and update.offset <= sent[1]:
            return  # already delivered: history and live overlap while subscribing
        self._sent[update.topic] = (update.epoch, update.offset)
        transport = self._transport
        if (transport is not None and not self.overflowed and not self._backlog and not transport.is_closing()
                and transport.get_write_buffer_size() < HIGH_WATER):
            transport.write(wire(update))
            return
        self.send(update.frame())

    async def subscribe(self, hub: Hub, bus: Bus, topic: str, since: dict[str, Any] | None) -> None:
        if self._pending is None:
            self._pending = {}
        self._pending[topic] = []
        self.topics.add(topic)
        hub.add(topic, self)
        try:
            history: list[Update] | None = None
            if since is not None:
                history = await bus.since(topic, int(since["offset"]), str(since["epoch"]))
            if history is not None:
                self._sent[topic] = (str(since["epoch"]), int(since["offset"])) if since else ("", 0)
                self.send(_frame(type="subscribed", topic=topic, recovered=True))
            else:
                self._sent.pop(topic, None)
                latest = await hub.latest(topic)
                history = [latest] if latest is not None else []
                self.send(_frame(type="subscribed", topic=topic, recovered=False))
        finally:
            buffered = self._pending.pop(topic, [])
            if not self._pending:
                self._pending = None
        for update in [*history, *buffered]:
            self._queue_update(update)

    def unsubscribe(self, hub: Hub, topic: str) -> None:
        self.topics.discard(topic)
        self._sent.pop(topic, None)
        hub.remove(topic, self)


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

    def drop(self) -> None:
        # The writer may be stuck waiting for this client's socket: stop it, then close with a code that
        # tells the client to reconnect and recover with ``since``.
        self.stop_writer()
        self.closing = asyncio.create_task(
            self.ws.close(code=CLOSE_SLOW_CONSUMER, message=b"too slow: reconnect and resubscribe with since"))

    def error(self, code: str, message: str) -> None:
        if self.connection is not None:
            self.connection.send(_frame(type="error", code=code, message=message))


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    # No permessage-deflate: a compression context costs tens of KiB per connection, and frames could no
    # longer be shared between clients.
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_s, max_msg_size=settings.ws_max_message_bytes,
                               compress=False)
    await ws.prepare(request)
    address = request.remote or "?"
    slots = app[ADDRESSES]
    if not slots.take(address, settings.ws_max_per_address):
        await ws.close(code=CLOSE_TOO_MANY_CONNECTIONS,
                       message=f"at most {settings.ws_max_per_address} connections per address".encode())
        return ws
    try:
        return await _serve(request, ws)
    finally:
        slots.release(address)


async def _serve(request: web.Request, ws: web.WebSocketResponse) -> web.WebSocketResponse:
    app = request.app
    settings, hub, bus, metrics = app[SETTINGS], app[HUB], app[BUS], app[METRICS]
    app[SOCKETS].add(ws)
    metrics.ws_connections.inc()

    session = _Session(ws)
    transport = request.transport
    connection = session.connection = Connection(
        settings.ws_backlog, session.drop, transport if isinstance(transport, asyncio.Transport) else None,
        session.start_writer)

    error = session.error

    try:
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                if message.type is WSMsgType.BINARY:
                    error("unsupported_frame", "send JSON text frames")
                continue
            try:
                command = loads(message.data)
            except JsonProblem as exc:
                error("bad_json", f"the frame is not acceptable JSON: {exc}")
                continue
            kind = command.get("type") if isinstance(command, dict) else None
            topics = command.get("topics") if isinstance(command, dict) else None
            if kind not in ("subscribe", "unsubscribe", "ping"):
                error("unknown_type", "type must be subscribe, unsubscribe or ping")
                continue
            if kind == "ping":
                connection.send(_frame(type="pong"))
                continue
            if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
                error("bad_topics", "topics must be a list of topic names")
                continue
            for topic in topics:
                if not TOPIC_PATTERN.match(topic):
                    error("unknown_topic", f"{topic[:140]!r} is not a topic (e.g. parking/darcy, panel/gare)")
                elif kind == "unsubscribe":
                    connection.unsubscribe(hub, topic)
                elif topic in connection.topics:
                    continue
                elif len(connection.topics) >= settings.ws_max_topics:
                    refused = f"at most {settings.ws_max_topics} topics per connection"
                    session.stop_writer()  # the close frame's reason says why
                    session.closing = asyncio.create_task(ws.close(code=CLOSE_TOO_MANY_TOPICS,
                                                                   message=refused.encode()))
                    break
                else:
                    try:
                        since = _parse_since(command.get("since"), topic)
                    except ValueError as exc:
                        error("bad_since", str(exc))
                        continue
                    await connection.subscribe(hub, bus, topic, since)
            if connection.overflowed or session.closing is not None:
                break
    finally:
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
