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
import contextlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from channels.hub import Hub
from signage.bus import Bus, Update
from signage.web.keys import ADDRESSES, BUS, HUB, METRICS, SETTINGS, SOCKETS

__all__ = ["CLOSE_SLOW_CONSUMER", "CLOSE_TOO_MANY_CONNECTIONS", "CLOSE_TOO_MANY_TOPICS", "TOPIC_PATTERN",
           "Connection", "websocket_handler"]

TOPIC_PATTERN = re.compile(r"^(parking|air|waste|transit|alerts|panel)/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
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
    """One client's subscriptions and its bounded outgoing queue."""

    def __init__(self, backlog: int, on_overflow: Callable[[], None] = lambda: None,
                 transport: asyncio.Transport | None = None) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=backlog)
        self._on_overflow = on_overflow
        # With a transport, an update is written straight to the socket while nothing waits before it and the
        # socket keeps up: no task switch per client. Otherwise it waits in the bounded backlog.
        self._transport = transport
        self.topics: set[str] = set()
        self.overflowed = False
        self._sent: dict[str, tuple[str, int]] = {}  # topic -> (epoch, offset) last queued
        self._pending: dict[str, list[Update]] = {}  # topics being subscribed: live updates wait here

    def send(self, text: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.overflowed = True
            self._on_overflow()

    def offer(self, update: Update) -> None:
        pending = self._pending.get(update.topic)
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
        if (transport is not None and not self.overflowed and self.queue.empty() and not transport.is_closing()
                and transport.get_write_buffer_size() < HIGH_WATER):
            transport.write(wire(update))
            return
        self.send(update.frame())

    async def subscribe(self, hub: Hub, bus: Bus, topic: str, since: dict[str, Any] | None) -> None:
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


async def _writer(ws: web.WebSocketResponse, connection: Connection) -> None:
    while (text := await connection.queue.get()) is not None:
        await ws.send_str(text)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    # No permessage-deflate: a compression context costs tens of KiB per connection, and frames could no
    # longer be shared between clients.
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_s, max_msg_size=settings.ws_max_message_bytes,
                               compress=False)
    await ws.prepare(request)
    address = request.remote or "?"
    held = app[ADDRESSES]
    if held.get(address, 0) >= settings.ws_max_per_address:
        await ws.close(code=CLOSE_TOO_MANY_CONNECTIONS,
                       message=f"at most {settings.ws_max_per_address} connections per address".encode())
        return ws
    held[address] = held.get(address, 0) + 1
    try:
        return await _serve(request, ws)
    finally:
        held[address] -= 1
        if not held[address]:
            del held[address]


async def _serve(request: web.Request, ws: web.WebSocketResponse) -> web.WebSocketResponse:
    app = request.app
    settings, hub, bus, metrics = app[SETTINGS], app[HUB], app[BUS], app[METRICS]
    app[SOCKETS].add(ws)
    metrics.ws_connections.inc()
    closing: list[asyncio.Task[bool]] = []

    def drop() -> None:
        # The writer may be stuck waiting for this client's socket: stop it, then close with a code that
        # tells the client to reconnect and recover with ``since``.
        writer.cancel()
        closing.append(asyncio.create_task(
            ws.close(code=CLOSE_SLOW_CONSUMER, message=b"too slow: reconnect and resubscribe with since")))

    transport = request.transport
    connection = Connection(settings.ws_backlog, drop, transport if isinstance(transport, asyncio.Transport) else None)
    writer = asyncio.create_task(_writer(ws, connection), name="ws-writer")

    def error(code: str, message: str) -> None:
        connection.send(_frame(type="error", code=code, message=message))

    try:
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                if message.type is WSMsgType.BINARY:
                    error("unsupported_frame", "send JSON text frames")
                continue
            try:
                command = json.loads(message.data)
            except json.JSONDecodeError:
                error("bad_json", "the frame is not JSON")
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
                    error("too_many_topics", refused)
                    writer.cancel()
                    closing.append(asyncio.create_task(ws.close(code=CLOSE_TOO_MANY_TOPICS, message=refused.encode())))
                    break
                else:
                    try:
                        since = _parse_since(command.get("since"), topic)
                    except ValueError as exc:
                        error("bad_since", str(exc))
                        continue
                    await connection.subscribe(hub, bus, topic, since)
            if connection.overflowed or closing:
                break
    finally:
        for topic in list(connection.topics):
            connection.unsubscribe(hub, topic)
        if connection.overflowed:
            metrics.ws_dropped.inc()
        with contextlib.suppress(asyncio.QueueFull):
            connection.queue.put_nowait(None)
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(writer, timeout=5)
        for task in closing:
            with contextlib.suppress(Exception):
                await task
        metrics.ws_connections.dec()
        if not ws.closed:
            await ws.close(code=WSCloseCode.OK)
    return ws
