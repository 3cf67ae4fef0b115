"""The embedded bus: in-process, history in bounded deques, one epoch per process lifetime. What is published is
kept as a detached JSON copy, as the Redis bus keeps it, so that no caller sees another's object."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any

from signage.bus import INTERNAL_PREFIX, TAIL_RUN, Update
from signage.protocol import Fence
from signage.safe_json import dumps

__all__ = ["MemoryBus"]


class MemoryBus:
    def __init__(self, history: int = 100, internal_history: int = 10_000) -> None:
        self.epoch = secrets.token_hex(4)  # history does not survive the process: a restart is a new epoch
        self._history = history
        self._internal_history = internal_history
        self._topics: dict[str, deque[Update]] = {}
        self._offsets: dict[str, int] = {}
        self._listeners: set[asyncio.Queue[Update | None]] = set()
        self._changed = asyncio.Condition()
        self._closed = False

    async def publish(self, topic: str, data: Any, fence: Fence | None = None) -> Update:
        # One process, one engine: there is nobody to fence off.
        if self._closed:
            raise RuntimeError("bus is closed")
        detached = json.loads(dumps(data))  # what Redis would give back: the publisher keeps its own object
        offset = self._offsets.get(topic, 0) + 1
        self._offsets[topic] = offset
        update = Update(topic, offset, self.epoch, detached)
        internal = topic.startswith(INTERNAL_PREFIX)
        size = self._internal_history if internal else self._history
        self._topics.setdefault(topic, deque(maxlen=size)).append(update)
        if not internal:  # internal topics are consumed with tail(), never fanned out live
            for queue in self._listeners:
                queue.put_nowait(update)
        async with self._changed:
            self._changed.notify_all()
        return update

    async def publish_many(self, items: Sequence[tuple[str, Any]], fence: Fence | None = None) -> list[Update]:
        return [await self.publish(topic, data, fence) for topic, data in items]

    async def latest(self, topic: str) -> Update | None:
        history = self._topics.get(topic)
        return history[-1] if history else None

    async def history(self, topic: str) -> list[Update]:
        return list(self._topics.get(topic, ()))

    async def since(self, topic: str, offset: int, epoch: str) -> list[Update] | None:
        if epoch != self.epoch:
            return None
        top = self._offsets.get(topic, 0)
        if offset == top:
            return []
        history = self._topics.get(topic, deque())
        if offset > top or not history or history[0].offset > offset + 1:
            return None
        return [u for u in history if u.offset > offset]

    async def live(self) -> AsyncIterator[Update]:
        queue: asyncio.Queue[Update | None] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            while (update := await queue.get()) is not None:
                yield update
        finally:
            self._listeners.discard(queue)

    async def tail(self, topic: str, after: int) -> AsyncIterator[list[Update]]:
        position = after
        while not self._closed:
            pending = [u for u in self._topics.get(topic, ()) if u.offset > position][:TAIL_RUN]
            if pending:
                position = pending[-1].offset
                yield pending
                continue
            async with self._changed:
                await self._changed.wait_for(partial(self._moved_past, topic, position))

    def _moved_past(self, topic: str, position: int) -> bool:
        return self._closed or self._offsets.get(topic, 0) > position

    async def ping(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        self._closed = True
        for queue in self._listeners:
            queue.put_nowait(None)
        async with self._changed:
            self._changed.notify_all()
