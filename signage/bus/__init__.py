"""One Bus for every publication: per-topic offsets and epoch, bounded history for replay, a live stream.

Every update goes through the bus, even in one process, and a process fans out only what comes back from it,
so the embedded and the Redis backends run the same delivery path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from signage.protocol import INTERNAL_PREFIX, Fence, Fenced

__all__ = ["INTERNAL_PREFIX", "TAIL_RUN", "Bus", "Fenced", "HistoryLost", "Update", "open_bus"]

TAIL_RUN = 500  # the most updates ``tail`` hands over at once


class HistoryLost(RuntimeError):
    """The bus lost a topic's history under a reader (Redis restarted without its data): start over."""



@dataclass(frozen=True, slots=True)
class Update:
    """One publication on a topic, as every process sees it: ``offset`` increases per topic within ``epoch``."""

    topic: str
    offset: int
    epoch: str
    data: Any


class Bus(Protocol):
    async def publish(self, topic: str, data: Any, fence: Fence | None = None) -> Update:
        """Append to ``topic``; the update gets the next offset of the topic's current epoch. The bus keeps, and
        every reader gets, a detached JSON copy of ``data`` (tuples become lists, NaN null): never the
        publisher's object. With a ``fence``, nothing is written unless the fence holds (``Fenced``)."""
        ...

    async def publish_many(self, items: Sequence[tuple[str, Any]], fence: Fence | None = None) -> list[Update]:
        """``publish`` each (topic, data) in order, in one round trip where the bus has them: what one delivery
        changes leaves together."""
        ...

    async def latest(self, topic: str) -> Update | None: ...

    async def history(self, topic: str) -> list[Update]:
        """What the bus still holds of ``topic`` (its bounded history), oldest first."""
        ...

    async def since(self, topic: str, offset: int, epoch: str) -> list[Update] | None:
        """Exactly what came after ``offset`` in ``epoch``, or None when that cannot be known any more."""
        ...

    def live(self) -> AsyncIterator[Update]:
        """Every update published from now on on a public topic, in order."""
        ...

    def tail(self, topic: str, after: int) -> AsyncIterator[list[Update]]:
        """Updates of ``topic`` after ``after``, in order (history first, then as they come), in runs of what was
        waiting when read (at most ``TAIL_RUN``): how the engine consumes, taking a burst in one step.
        Raises ``HistoryLost`` if the topic's history is lost while it reads."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


def open_bus(redis_url: str | None, prefix: str = "signage:", history: int = 100) -> Bus:
    """The Redis bus when a URL is given, the in-process one otherwise."""
    if redis_url:
        from signage.bus.redis import RedisBus

        return RedisBus(redis_url, prefix=prefix, history=history)
    from signage.bus.memory import MemoryBus

    return MemoryBus(history=history)
