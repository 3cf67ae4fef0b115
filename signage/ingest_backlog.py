"""How far the engine is behind the deliveries waiting for it, so that the intake refuses more (503, the sender
retries) before the bounded ``_ingest`` history would drop what it had already accepted.

The engine writes the position it has applied to the Store a few times a second (``ENGINE_POSITION``); each
intake knows the newest position it appended, and reads the engine's at most every ``REFRESH_S``. Whoever
cannot know (no engine has run yet, the bus began a new epoch) accepts, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from signage.bus import Update
from signage.store import Store

__all__ = ["BEHIND_LIMIT", "ENGINE_POSITION", "IngestBacklog"]

ENGINE_POSITION = ("engine", "position")  # Store kind and id: {"epoch": …, "offset": …}
BEHIND_LIMIT = 5_000  # half the ``_ingest`` history the bus keeps (10,000): room for every intake's burst
REFRESH_S = 0.25


class IngestBacklog:
    def __init__(self, store: Store, limit: int = BEHIND_LIMIT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self.limit = limit
        self._clock = clock
        self._head: tuple[str, int] | None = None  # the newest (epoch, offset) this process appended
        self._applied: tuple[str, int] | None = None
        self._read_at = float("-inf")

    def appended(self, update: Update) -> None:
        if self._head is None or self._head[0] != update.epoch or update.offset > self._head[1]:
            self._head = (update.epoch, update.offset)

    async def behind(self) -> int:
        """Deliveries appended that the engine has not applied yet, as far as this process can tell."""
        if self._clock() - self._read_at >= REFRESH_S:
            self._read_at = self._clock()
            document = await self._store.get(*ENGINE_POSITION)
            self._applied = (str(document["epoch"]), int(document["offset"])) if document else None
        if self._head is None or self._applied is None or self._head[0] != self._applied[0]:
            return 0
        return max(0, self._head[1] - self._applied[1])

    async def full(self) -> bool:
        return await self.behind() >= self.limit
