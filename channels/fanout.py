"""Fan-out to live connections (WebSocket and SSE): each update framed once, written straight to every socket
that keeps up, and a bounded backlog for the others.

A ``Connection`` is one client's subscriptions; what the hub offers it is an ``Outgoing``: the bus's update with
its JSON text and its RFC 6455 frame made once, however many clients receive it. A client that falls more than its
backlog behind is dropped (it reconnects and recovers with ``since``), so a slow phone never slows the others.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Callable
from typing import Any

from channels.hub import Hub, Outgoing, text_frame
from signage.bus import Bus, Update

__all__ = ["CLOSE_SLOW_CONSUMER", "CLOSE_TOO_MANY_CONNECTIONS", "CLOSE_TOO_MANY_TOPICS", "CLOSE_TRY_AGAIN_LATER",
           "Connection", "control_frame"]

CLOSE_SLOW_CONSUMER = 4008  # the client fell behind its backlog: reconnect with ``since`` to recover
CLOSE_TOO_MANY_CONNECTIONS = 4029  # this address already holds the most connections allowed
CLOSE_TOO_MANY_TOPICS = 4030  # the connection asked for more topics than allowed
CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455 registry: the server is overloaded; reconnect after a jittered delay
# A frame larger than the limit is closed by aiohttp with 1009 (message too big), as RFC 6455 says.


def control_frame(**fields: Any) -> str:
    """A frame of the protocol's own (subscribed, error, pong), as JSON text."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


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
        self._pending: dict[str, list[Outgoing]] | None = None  # topics being subscribed: live updates wait here

    @property
    def held_bytes(self) -> int:
        """What this client alone holds in the server: its socket's unsent bytes and its backlog's slots (the
        frames in the backlog are shared with every client)."""
        buffered = self._transport.get_write_buffer_size() if self._transport is not None else 0
        return buffered + 8 * len(self._backlog or ())

    def send(self, text: str) -> None:
        if self.overflowed or self._closed:
            return
        if self._writes_through():
            assert self._transport is not None
            self._transport.write(text_frame(text))  # nothing waits before it: no backlog, no writer task
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
        """The next frame waiting, or None; a drained socket's backlog is let go (an idle connection holds none)."""
        if not self._backlog:
            if self._transport is not None:
                self._backlog = self._ready = None
            return None
        return self._backlog.popleft()

    def _writes_through(self) -> bool:
        """Whether a frame may go straight to the socket: one that keeps up, with nothing waiting before it."""
        transport = self._transport
        return (transport is not None and not self.overflowed and not self._backlog and not transport.is_closing()
                and transport.get_write_buffer_size() < HIGH_WATER)

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

    def offer(self, outgoing: Outgoing) -> None:
        pending = self._pending.get(outgoing.update.topic) if self._pending else None
        if pending is not None:
            pending.append(outgoing)
            return
        self._queue_update(outgoing)

    def _queue_update(self, outgoing: Outgoing) -> None:
        update = outgoing.update
        sent = self._sent.get(update.topic)
        if sent is not None and sent[0] == update.epoch and update.offset <= sent[1]:
            return  # already delivered: history and live overlap while subscribing
        self._sent[update.topic] = (update.epoch, update.offset)
        if self._writes_through():
            assert self._transport is not None
            self._transport.write(outgoing.wire)
            return
        self.send(outgoing.text)

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
                self.send(control_frame(type="subscribed", topic=topic, recovered=True))
            else:
                self._sent.pop(topic, None)
                latest = await hub.latest(topic)
                history = [latest] if latest is not None else []
                self.send(control_frame(type="subscribed", topic=topic, recovered=False))
        finally:
            buffered = self._pending.pop(topic, [])
            if not self._pending:
                self._pending = None
        for outgoing in [*(Outgoing(update) for update in history), *buffered]:
            self._queue_update(outgoing)

    def unsubscribe(self, hub: Hub, topic: str) -> None:
        self.topics.discard(topic)
        self._sent.pop(topic, None)
        hub.remove(topic, self)


