"""How each feed is doing, as operators need to see it: last success, last error, lag, rate, stale keys. Pure."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from signage.state import LiveState
from signage.timeutil import format_instant

__all__ = ["FeedHealth"]

RATE_WINDOW = timedelta(minutes=5)


@dataclass(slots=True)
class _Feed:
    deliveries: int = 0
    rejected: int = 0
    last_success_at: datetime | None = None
    last_error: dict[str, Any] | None = None
    lag_s: float | None = None
    failing: bool = False  # the latest delivery was refused
    unauthenticated: int = 0  # refused for who sent them (no or a wrong credential, a stranger's address…)
    last_unauthenticated: dict[str, Any] | None = None
    recent: deque[datetime] = field(default_factory=deque)


class FeedHealth:
    def __init__(self, feed_ids: Iterable[str]) -> None:
        self._feeds = {feed_id: _Feed() for feed_id in feed_ids}

    def success(self, feed_id: str, received_at: datetime, newest_observed: datetime | None) -> None:
        feed = self._feeds.setdefault(feed_id, _Feed())
        feed.deliveries += 1
        feed.last_success_at = received_at
        feed.failing = False
        if newest_observed is not None:
            feed.lag_s = round(max(0.0, (received_at - newest_observed).total_seconds()), 3)
        feed.recent.append(received_at)

    def error(self, feed_id: str, at: datetime, reason: str, where: str = "") -> None:
        feed = self._feeds.setdefault(feed_id, _Feed())
        feed.rejected += 1
        feed.failing = True
        feed.last_error = {"at": format_instant(at), "reason": reason, "where": where}

    def unauthenticated(self, feed_id: str, at: datetime, count: int, reason: str) -> None:
        """Deliveries refused for who sent them: counted and shown, but the feed itself is not failing."""
        feed = self._feeds.setdefault(feed_id, _Feed())
        feed.unauthenticated += count
        feed.last_unauthenticated = {"at": format_instant(at), "reason": reason}

    def report(self, now: datetime, state: LiveState, max_ages: Mapping[str, timedelta]) -> list[dict[str, Any]]:
        stale: dict[str, list[str]] = {}
        held: dict[str, int] = {}
        for value in state.values():
            held[value.source] = held.get(value.source, 0) + 1
            if value.is_stale(now):
                stale.setdefault(value.source, []).append(value.key)
        report = []
        for feed_id, feed in sorted(self._feeds.items()):
            while feed.recent and now - feed.recent[0] > RATE_WINDOW:
                feed.recent.popleft()
            max_age = max_ages.get(feed_id)
            silent = (feed.last_success_at is None or (max_age is not None and now - feed.last_success_at > max_age))
            report.append({
                "feed": feed_id,
                "status": "error" if feed.failing else ("silent" if silent else "ok"),
                "deliveries": feed.deliveries,
                "rejected": feed.rejected,
                "unauthenticated": feed.unauthenticated,
                "last_unauthenticated": feed.last_unauthenticated,
                "last_success_at": format_instant(feed.last_success_at) if feed.last_success_at else None,
                "last_error": feed.last_error,
                "lag_s": feed.lag_s,
                "rate_per_min": round(len(feed.recent) / (RATE_WINDOW.total_seconds() / 60), 2),
                "keys": held.get(feed_id, 0),
                "stale_keys": sorted(stale.get(feed_id, []))[:100],
                "stale_count": len(stale.get(feed_id, [])),
                "max_age_s": max_age.total_seconds() if max_age else None,
            })
        return report
