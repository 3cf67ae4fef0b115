"""A bounded cache of rendered outputs with hit counts: a thousand panels of one profile cost one render."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["RenderCache"]

T = TypeVar("T")


class RenderCache(Generic[T]):
    """Least-recently-used, keyed by whatever determines the output (template version, data, profile, format)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, T] = OrderedDict()

    def get_or_render(self, key: Hashable, render: Callable[[], T]) -> T:
        try:
            value = self._entries[key]
        except KeyError:
            self.misses += 1
            value = render()
            self._entries[key] = value
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return value
        self.hits += 1
        self._entries.move_to_end(key)
        return value

    def get(self, key: Hashable) -> T | None:
        """The cached value, counted as a hit, or None (a miss: render, then ``put``)."""
        value = self._entries.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: T) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def __len__(self) -> int:
        return len(self._entries)
