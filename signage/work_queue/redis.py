"""The work queue on Redis: a stream with a consumer group. ``XREADGROUP`` hands a job to one worker, ``XACK``
retires it, and a job left unacknowledged longer than ``reclaim_after_s`` (its worker died or hung) is taken over
with ``XAUTOCLAIM``. Workers in every process share it."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.exceptions import ResponseError

from signage.protocol import Fence, Fenced
from signage.redis_connection import redis_client
from signage.safe_json import dumps
from signage.work_queue import KEEP_KEYS_S, MAX_JOBS, Job

__all__ = ["RedisWorkQueue"]

log = logging.getLogger("signage.push")

# The key and the job are written together, or neither: a job is never lost between them, nor put twice.
_PUT = """
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[4] then
  return redis.error_reply('FENCED this engine no longer leads')
end
if KEYS[2] ~= '' and not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then
  return 0
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'job', ARGV[1])
return 1
"""


class RedisWorkQueue:
    GROUP = "push-workers"

    def __init__(self, url: str, prefix: str = "signage:", reclaim_after_s: float = 30.0) -> None:
        self._redis: Any = redis_client(url)
        self._blocking: Any = redis_client(url, blocking_reads=True)
        self._key = f"{prefix}push:jobs"
        self._reclaim_ms = int(reclaim_after_s * 1000)
        self._ready = False
        self._put = self._redis.register_script(_PUT)

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

    async def put(self, data: dict[str, Any], key: str | None = None, keep_s: float = KEEP_KEYS_S,
                  fence: Fence | None = None) -> bool:
        await self._ensure_group()
        marker = f"{self._key}:key:{key}" if key is not None else ""
        try:
            return bool(await self._put(keys=[self._key, marker, fence.key if fence else self._key],
                                        args=[dumps(data, separators=(",", ":")), MAX_JOBS, int(keep_s * 1000),
                                              fence.value if fence else ""]))
        except ResponseError as exc:
            if "FENCED" in str(exc):
                raise Fenced("push job refused: this engine no longer leads") from exc
            raise

    async def take(self, worker: str, timeout_s: float = 1.0) -> Job | None:
        try:
            return await self._take(worker, timeout_s)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # Redis restarted without its data: the stream and its group are gone. Make them again.
            log.warning("push queue: consumer group missing (Redis lost its data); created again")
            self._ready = False
            return await self._take(worker, timeout_s)

    async def _take(self, worker: str, timeout_s: float) -> Job | None:
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
        await self._ensure_group()
        await self._redis.xack(self._key, self.GROUP, job.id)
        await self._redis.xdel(self._key, job.id)

    async def pending(self) -> int:
        await self._ensure_group()
        return int(await self._redis.xlen(self._key))

    async def close(self) -> None:
        await self._redis.aclose()
        await self._blocking.aclose()
