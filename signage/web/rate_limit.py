"""Rate limiting per client address, for the open endpoints."""

from __future__ import annotations

import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """A token bucket per client address: ``burst`` requests at once, ``per_second`` after that."""

    def __init__(self, burst: int = 60, per_second: float = 2.0, max_clients: int = 10_000) -> None:
        self.burst = burst
        self.per_second = per_second
        self._max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def take(self, address: str) -> float:
        """0 when the request may go, else the seconds until it may."""
        now = time.monotonic()
        tokens, at = self._buckets.get(address, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return (1 - tokens) / self.per_second
        if len(self._buckets) >= self._max_clients and address not in self._buckets:
            self._buckets = {a: b for a, b in self._buckets.items() if now - b[1] < self.burst / self.per_second}
        self._buckets[address] = (tokens - 1, now)
        return 0.0
