"""Local fan-out in one web process: updates from the bus to the connections subscribed to each topic.

Dispatch never waits: each connection has a bounded backlog, and one that overflows is dropped (it reconnects
and recovers from history), so a slow phone never slows the others. The hub also keeps the latest update of
every topic it has seen, which is what panel polls and long polls read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from signage.bus import Bus, Update
from signage.protocol import INTERNAL_PREFIX
from signage.safe_json import dumps

__all__ = ["Hub", "Outgoing", "Subscriber", "text_frame"]


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


class Outgoing:
    """An update on its way to clients: its JSON text (the ``/ws`` and SSE ``update`` frame) and its WebSocket
    frame, each made once, when first needed, however many clients receive it."""

    __slots__ = ("_text", "_wire", "update")

    def __init__(self, update: Update) -> None:
        self.update = update
        self._text: str | None = None
        self._wire: bytes | None = None

    @property
    def text(self) -> str:
        if self._text is None:  # RFC 8259 JSON: a browser's JSON.parse must take every frame
            update = self.update
            self._text = dumps({"type": "update", "topic": update.topic, "offset": update.offset,
                                "epoch": update.epoch, "data": update.data}, ensure_ascii=False, separators=(",", ":"))
        return self._text

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = text_frame(self.text)
        return self._wire


class Subscriber(Protocol):
    def offer(self, outgoing: Outgoing) -> None: ...


ABSENT_FOR_S = 1.0  # how long "the bus has nothing for this topic" is believed without asking again
MAX_ABSENT = 10_000  # topics remembered as empty; clients name topics, so the memory of them is bounded


class Hub:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._latest: dict[str, Update] = {}
        self._changed: dict[str, asyncio.Event] = {}
        # A storm of subscribes (a web process restarting under thousands of kiosks and phones) asks for the same
        # few topics at once: one read of the bus per topic answers them all, and an empty topic is not read
        # again for a second (its first update reaches ``_latest`` through ``dispatch`` anyway).
        self._reading: dict[str, asyncio.Future[None]] = {}
        self._absent: dict[str, float] = {}

    async def run(self, on_update: Callable[[Update], None] = lambda _: None) -> None:
        """Consume the bus's live stream until cancelled."""
        async for update in self._bus.live():
            self.dispatch(update)
            on_update(update)
            # Let the connections' writers run between updates: a burst must not fill every backlog at once.
            await asyncio.sleep(0)

    def dispatch(self, update: Update) -> None:
        held = self._latest.get(update.topic)
        if held is None or held.epoch != update.epoch or update.offset > held.offset:
            self._latest[update.topic] = update
            event = self._changed.pop(update.topic, None)
            if event is not None:
                event.set()
        subscribers = self._subscribers.get(update.topic)
        if subscribers:
            outgoing = Outgoing(update)
            for subscriber in list(subscribers):
                subscriber.offer(outgoing)

    def add(self, topic: str, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(topic, set()).add(subscriber)

    def subscribers(self, topic: str) -> list[Subscriber]:
        """Who follows ``topic`` in this process (for operators and tests)."""
        return list(self._subscribers.get(topic, ()))

    def remove(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(topic)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[topic]

    def peek(self, topic: str) -> Update | None:
        """The newest update of ``topic`` this process holds, without asking the bus (the hot path of polls)."""
        return self._latest.get(topic)

    async def latest(self, topic: str) -> Update | None:
        """The newest update of ``topic``: from memory, or from the bus's history the first time. Internal topics
        (``_index``, ``_feeds``…) never come on the live stream, so the hub would never see them change: they are
        read from the bus every time."""
        if topic.startswith(INTERNAL_PREFIX):
            return await self._bus.latest(topic)
        held = self._latest.get(topic)
        if held is not None:
            return held
        if asyncio.get_running_loop().time() < self._absent.get(topic, 0.0):
            return None
        reading = self._reading.get(topic)
        if reading is None:
            reading = self._reading[topic] = asyncio.ensure_future(self._read(topic))
            reading.add_done_callback(lambda done: self._read_done(topic, done))
        await asyncio.shield(reading)  # a reader that gives up does not cancel the read the others wait for
        return self._latest.get(topic)

    async def _read(self, topic: str) -> None:
        update = await self._bus.latest(topic)
        if update is None:
            if len(self._absent) >= MAX_ABSENT:
                self._absent.clear()
            self._absent[topic] = asyncio.get_running_loop().time() + ABSENT_FOR_S
        elif topic not in self._latest:
            self._latest[topic] = update

    def _read_done(self, topic: str, done: asyncio.Future[None]) -> None:
        self._reading.pop(topic, None)
        if not done.cancelled():
            done.exception()  # retrieved here: the readers still waiting get it from ``shield``

    async def wait_change(self, topic: str, timeout: float) -> None:
        """Return when ``topic`` gets a newer update, or after ``timeout`` seconds."""
        event = self._changed.setdefault(topic, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=timeout)
