"""Work shared by workers (push batches): each job to one worker at a time, acknowledged when done, and handed
again to another when its worker took it and neither acknowledged it within ``reclaim_after_s`` (it died or hung):
delivered at least once, on both backends. A job's data is a detached JSON copy of what was put.

On Redis (``signage.work_queue.redis``), a stream with a consumer group, so workers in every process share it; in
one process (``signage.work_queue.memory``), a queue with the same semantics.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from signage.protocol import Fence

__all__ = ["KEEP_KEYS_S", "MAX_JOBS", "Job", "WorkQueue", "open_work_queue", "worker_name"]

MAX_JOBS = 100_000  # bounded, so that a deployment with no worker running cannot fill memory or Redis
KEEP_KEYS_S = 24 * 3600.0  # how long a job's key keeps the same job out


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    data: dict[str, Any]
    attempts: int = 1  # how many times a worker has been handed this job


class WorkQueue(Protocol):
    @property
    def shared(self) -> bool:
        """Whether workers in other processes take this queue's jobs (so a process without workers may fill it)."""
        ...

    async def put(self, data: dict[str, Any], key: str | None = None, keep_s: float = KEEP_KEYS_S,
                  fence: Fence | None = None) -> bool:
        """Queue a job; one with a ``key`` already put in the last ``keep_s`` seconds is not queued again
        (False), atomically across processes: a decision made again after a restart is not sent twice. With a
        ``fence``, nothing is written unless it holds (``signage.bus.Fenced``)."""
        ...

    async def take(self, worker: str, timeout_s: float = 1.0) -> Job | None:
        """The next job for ``worker``: first one another worker left unacknowledged too long, then a new one;
        None after ``timeout_s`` without one."""
        ...

    async def done(self, job: Job) -> None:
        """Acknowledge ``job``: it is never handed out again."""
        ...

    async def pending(self) -> int:
        """Jobs not yet acknowledged, handed out or not."""
        ...

    async def close(self) -> None: ...


def worker_name() -> str:
    return f"worker-{secrets.token_hex(4)}"


def open_work_queue(redis_url: str | None, prefix: str = "signage:", reclaim_after_s: float = 30.0) -> WorkQueue:
    if redis_url:
        from signage.work_queue.redis import RedisWorkQueue

        return RedisWorkQueue(redis_url, prefix, reclaim_after_s)
    from signage.work_queue.memory import MemoryWorkQueue

    return MemoryWorkQueue(reclaim_after_s)
