"""Push work shared by push workers: each job goes to one worker, and a worker that dies leaves its jobs to others.

On Redis, a stream with a consumer group: ``XREADGROUP`` hands a job to one worker, ``XACK`` retires it, and a
job left unacknowledged longer than ``reclaim_after_s`` (its worker died or hung) is taken over with
``XAUTOCLAIM``. In one process, an asyncio queue does the same job.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

MAX_JOBS = 100_000

__all__ = ["Job", "MemoryWorkQueue", "RedisWorkQueue", "WorkQueue", "open_work_queue"]


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    data: dict[str, Any]
    attempts: int = 1  # how many workers have been handed this job


class WorkQueue(Protocol):
    async def put(self, data: dict[str, Any]) -> None: ...

    async def take(self, worker: str, timeout_s: float = 1.0) -> Job | None:
        """The next job for ``worker``, or None after ``timeout_s`` without one."""
        ...

    async def done(self, job: Job) -> None: ...

    async def pending(self) -> int: ...

    async def close(self) -> None: ...


class MemoryWorkQueue:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._next = 0

    async def put(self, data: dict[str, Any]) -> None:
        self._next += 1
        self._queue.put_nowait(Job(str(self._next), data))

    async def take(self, worker: str, timeout_s: float = 1.0) -> Job | None:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout=timeout_s)
        except TimeoutError:
            return None

    async def done(self, job: Job) -> None:
        return None

    async def pending(self) -> int:
        return self._queue.qsize()

    async def close(self) -> None:
        return None


class RedisWorkQueue:
    GROUP = "push-workers"

    def __init__(self, url: str, prefix: str = "signage:", reclaim_after_s: float = 30.0) -> None:
        self._redis: Any = aioredis.from_url(url, decode_responses=True)
        self._blocking: Any = aioredis.from_url(url, decode_responses=True, socket_timeout=None)
        self._key = f"{prefix}push:jobs"
        self._reclaim_ms = int(reclaim_after_s * 1000)
        self._ready = False

    async def _ensure_group(self) -> None:
        if self._ready:
            return
        try:
            await self._redis.xgroup_create(self._key, self.GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def put(self, data: dict[str, Any]) -> None:
        await self._ensure_group()
        # Bounded, so that a deployment with no push worker running cannot fill Redis.
        await self._redis.xadd(self._key, {"job": json.dumps(data, separators=(",", ":"))}, maxlen=MAX_JOBS,
                               approximate=True)

    async def take(self, worker: str, timeout_s: float = 1.0) -> Job | None:
        await self._ensure_group()
        # First what a dead or stuck worker left behind, then new work.
        _, claimed, _ = await self._redis.xautoclaim(self._key, self.GROUP, worker, self._reclaim_ms, "0-0", count=1)
        if claimed:
            entry_id, fields = claimed[0]
            if fields is not None:
                info = await self._redis.xpending_range(self._key, self.GROUP, entry_id, entry_id, 1)
                attempts = int(info[0]["times_delivered"]) if info else 2
                return Job(entry_id, json.loads(fields["job"]), attempts)
        reply = await self._blocking.xreadgroup(self.GROUP, worker, {self._key: ">"}, count=1,
                                                block=max(1, int(timeout_s * 1000)))
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # redis-py may swallow a cancellation during BLOCK
            raise asyncio.CancelledError
        if not reply:
            return None
        entry_id, fields = reply[0][1][0]
        return Job(entry_id, json.loads(fields["job"]))

    async def done(self, job: Job) -> None:
        await self._redis.xack(self._key, self.GROUP, job.id)
        await self._redis.xdel(self._key, job.id)

    async def pending(self) -> int:
        await self._ensure_group()
        return int(await self._redis.xlen(self._key))

    async def close(self) -> None:
        await self._redis.aclose()
        await self._blocking.aclose()


def worker_name() -> str:
    return f"worker-{secrets.token_hex(4)}"


def open_work_queue(redis_url: str | None, prefix: str = "signage:", reclaim_after_s: float = 30.0) -> WorkQueue:
    if redis_url:
        return RedisWorkQueue(redis_url, prefix, reclaim_after_s)
    return MemoryWorkQueue()
