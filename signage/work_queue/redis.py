"""The work queue on Redis: a stream with a consumer group. ``XREADGROUP`` hands a job to one worker, ``XACK``
retires it, and a job left unacknowledged longer than ``reclaim_after_s`` (its worker died or hung) is taken over
with ``XAUTOCLAIM``. Workers in every process share it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from signage.safe_json import dumps
from signage.work_queue import MAX_JOBS, Job

__all__ = ["RedisWorkQueue"]


class RedisWorkQueue:
    GROUP = "push-workers"

    def __init__(self, url: str, prefix: str = "signage:", reclaim_after_s: float = 30.0) -> None:
        self._redis: Any = aioredis.from_url(url, decode_responses=True)
        self._blocking: Any = aioredis.from_url(url, decode_responses=True, socket_timeout=None)
        self._key = f"{prefix}push:jobs"
        self._reclaim_ms = int(reclaim_after_s * 1000)
        self._ready = False

    @property
    def shared(self) -> bool:
        return True

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
        await self._redis.xadd(self._key, {"job": dumps(data, separators=(",", ":"))}, maxlen=MAX_JOBS,
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
