"""Live state: the latest observation per key, with its age; a value past its feed's max age is stale.

Pure: time is always passed in. Stale values stay readable (an operator wants to see the last reading and
how old it is) but every view marks them, and rules treat them as absent unless they ask about staleness.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from signage.model import Observation
from signage.timeutil import format_instant

__all__ = ["LiveState", "LiveValue"]


class LiveValue(NamedTuple):
    """One key's latest reading. Immutable; a tuple because each change makes one, and a frozen dataclass takes
    three times as long to build."""

    key: str
    fields: Mapping[str, Any]
    observed_at: datetime
    source: str
    max_age: timedelta
    observed_at_text: str  # formatted once: every view and record reuses it
    stale_at: datetime  # observed_at + max_age, computed once: every step asks for it

    def is_stale(self, now: datetime) -> bool:
        return now >= self.stale_at

    def age_s(self, now: datetime) -> float:
        return max(0.0, (now - self.observed_at).total_seconds())

    def view(self, now: datetime) -> dict[str, Any]:
        """What rules, topics and operators see: the fields plus ``stale``, ``age_s``, ``source``."""
        return {
            **self.fields,
            "stale": self.is_stale(now),
            "age_s": round(self.age_s(now), 3),
            "source": self.source,
            "observed_at": self.observed_at_text,
        }


class LiveState:
    """Latest value per key. ``apply`` merges fields, so a partial update keeps the fields it did not carry."""

    def __init__(self, max_age_by_source: Mapping[str, timedelta], default_max_age: timedelta) -> None:
        self._max_age_by_source = dict(max_age_by_source)
        self._default_max_age = default_max_age
        self._values: dict[str, LiveValue] = {}
        self._deadlines: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str) -> LiveValue | None:
        return self._values.get(key)

    def values(self) -> Iterable[LiveValue]:
        return self._values.values()

    def apply(self, observation: Observation) -> LiveValue | None:
        """Take an observation; returns the new value, or None when it is older than what is held."""
        current = self._values.get(observation.key)
        if current is not None and observation.observed_at < current.observed_at:
            return None
        fields = {**current.fields, **observation.value} if current is not None else dict(observation.value)
        max_age = self._max_age_by_source.get(observation.source, self._default_max_age)
        value = LiveValue(observation.key, fields, observation.observed_at, observation.source, max_age,
                          format_instant(observation.observed_at), observation.observed_at + max_age)
        self._values[observation.key] = value
        heapq.heappush(self._deadlines, (value.stale_at, value.key))
        return value

    def next_stale_at(self) -> datetime | None:
        """When the next held value turns stale (entries superseded by newer readings are skipped)."""
        while self._deadlines:
            at, key = self._deadlines[0]
            value = self._values.get(key)
            if value is not None and value.stale_at == at:
                return at
            heapq.heappop(self._deadlines)
        return None

    def pop_stale(self, now: datetime) -> list[LiveValue]:
        """Values that turned stale at or before ``now``, each reported once, oldest deadline first."""
        turned: list[LiveValue] = []
        while (at := self.next_stale_at()) is not None and at <= now:
            _, key = heapq.heappop(self._deadlines)
            turned.append(self._values[key])
        return turned
