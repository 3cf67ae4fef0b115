"""The in-process work queue: jobs waiting in order, and jobs handed out kept until acknowledged, so that one
left too long goes to the next worker that asks, as on Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict, deque
from typing import Any

from signage.protocol import Fence
from signage.safe_json import dumps
from signage.work_queue import KEEP_KEYS_S, MAX_JOBS, Job

__all__ = ["MemoryWorkQueue"]


class MemoryWorkQueue:
    def __init__(self, reclaim_after_s: float = 30.0) -> None:
        self._reclaim_after_s = reclaim_after_s
        self._waiting: deque[Job] = deque(maxlen=MAX_JOBS)
        self._handed: OrderedDict[str, tuple[Job, float]] = OrderedDict()  # oldest hand-out first
        self._arrived = asyncio.Condition()
        self._next = 0
        self._keys: dict[str, float] = {}  # job key -> until when it keeps the same job out (monotonic)

    @property
    def shared(self) -> bool:
        return False

    async def put(self, data: dict[str, Any], key: str | None = None, keep_s: float = KEEP_KEYS_S,
                  fence: Fence | None = None) -> bool:
        if key is not None:
            now = time.monotonic()
            if self._keys.get(key, 0.0) > now:
                return False
            if len(self._keys) >= MAX_JOBS:
                self._keys = {k: until for k, until in self._keys.items() if until > now}
            self._keys[key] = now + keep_s
        self._next += 1
        self._waiting.append(Job(str(self._next), json.loads(dumps(data))))  # detached, as Redis gives it
        async with self._arrived:
            self._arrived.notify()
        return True

    async def take(self, worker: str, timeout_s: float = 1.0) -> Job | None:
        job = self._reclaimed() or (self._waiting.popleft() if self._waiting else None)
        if job is None:
            async with self._arrived:
                try:
                    await asyncio.wait_for(self._arrived.wait_for(lambda: bool(self._waiting)), timeout_s)
                except TimeoutError:
                    return self._reclaimed()
            job = self._waiting.popleft()
        self._handed[job.id] = (job, time.monotonic())
        return job

    def _reclaimed(self) -> Job | None:
        """The job handed out longest ago, if it has waited for its acknowledgement too long."""
        if not self._handed:
            return None
        job_id, (job, since) = next(iter(self._handed.items()))
        if time.monotonic() - since < self._reclaim_after_s:
            return None
        del self._handed[job_id]
        return Job(job.id, job.data, job.attempts + 1)

    async def done(self, job: Job) -> None:
        self._handed.pop(job.id, None)

    async def pending(self) -> int:
        return len(self._waiting) + len(self._handed)

    async def close(self) -> None:
        return None
