"""The instants at which something must happen even if nothing arrives: a message expires or starts, a rule
looks again (its ``for``, cooldown or schedule). Pure."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime

__all__ = ["Timers"]


class Timers:
    """A heap of (instant, kind, id); an entry whose owner changed its mind since is skipped when read, as
    ``is_live`` says, rather than searched for and removed."""

    def __init__(self, is_live: Callable[[datetime, str, str], bool]) -> None:
        self._heap: list[tuple[datetime, str, str]] = []
        self._is_live = is_live

    def add(self, at: datetime | None, kind: str, ident: str) -> None:
        if at is not None:
            heapq.heappush(self._heap, (at, kind, ident))

    def next(self) -> datetime | None:
        while self._heap and not self._is_live(*self._heap[0]):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None
