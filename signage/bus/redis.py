"""The scale-out bus on Redis: a stream per topic for history, one shared stream that every process tails live.

A Lua script makes each publish atomic: the topic's offset, its history entry (stream id ``0-<offset>``, so
offsets and stream ids agree) and the live entry are written together. The epoch is created with the topic's
metadata; if Redis loses it (flush, eviction, a new server), the next publish starts a new epoch and clients
that come back with the old one get ``recovered: false``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from signage.bus import INTERNAL_PREFIX, TAIL_RUN, HistoryLost, Update
from signage.protocol import Fence, Fenced
from signage.redis_connection import redis_client
from signage.safe_json import dumps

__all__ = ["RedisBus"]

_PUBLISH = """
if ARGV[7] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[7] then
  return redis.error_reply('FENCED this engine no longer leads')
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '0-' .. offset, 'd', ARGV[2])
if ARGV[6] == '1' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 't', ARGV[5], 'o', offset, 'e', epoch, 'd', ARGV[2])
end
return {offset, epoch}
"""

BLOCK_MS = 1000
log = logging.getLogger("signage.bus")


UNREACHABLE = (aioredis.ConnectionError, aioredis.TimeoutError, OSError)


class Outage:
    """A reader's wait while Redis cannot be reached: logged once, retried after a delay that grows to 1 s."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._delay = 0.0

    async def wait(self, exc: BaseException) -> None:
        if not self._delay:
            log.error("%s: Redis unreachable (%s); retrying", self._what, exc)
        self._delay = min(1.0, max(0.05, self._delay * 2))
        await asyncio.sleep(self._delay)

    def over(self) -> None:
        if self._delay:
            log.warning("%s: Redis answers again", self._what)
        self._delay = 0.0


def _stop_if_cancelled() -> None:
    """A cancellation that lands inside redis-py's read timeout can be swallowed; honour it here."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class RedisBus:
    def __init__(self, url: str, prefix: str = "signage:", history: int = 100, internal_history: int = 10_000,
                 live_history: int = 10_000) -> None:
        self._redis: Any = redis_client(url)
        # Blocking reads get their own client without a socket timeout (BLOCK bounds each read), so that
        # cancelling them is not entangled with redis-py's read-timeout handling.
        self._blocking: Any = redis_client(url, blocking_reads=True)
        self._prefix = prefix
        self._history = history
        self._internal_history = internal_history
        self._live_history = live_history
        self._script = self._redis.register_script(_PUBLISH)
        self._closed = False

    def _meta(self, topic: str) -> str:
        return f"{self._prefix}topic:{topic}:meta"

    def _stream(self, topic: str) -> str:
        return f"{self._prefix}topic:{topic}:stream"

    @property
    def _all(self) -> str:
        return f"{self._prefix}live"

    async def publish(self, topic: str, data: Any, fence: Fence | None = None) -> Update:
        return (await self.publish_many([(topic, data)], fence))[0]

    async def publish_many(self, items: Sequence[tuple[str, Any]], fence: Fence | None = None) -> list[Update]:
        """One pipeline for all of ``items`` (one round trip); each publish is still atomic and fenced on its own,
        and they are applied in order."""
        encoded = [(topic, dumps(data, ensure_ascii=False, separators=(",", ":"))) for topic, data in items]
        answers = await self._run_publishes(encoded, fence)
        if any(isinstance(answer, NoScriptError) for answer in answers):
            # Redis restarted without its script cache: none of them ran (the script is missing for all alike).
            await self._redis.script_load(_PUBLISH)
            answers = await self._run_publishes(encoded, fence)
        updates = []
        for (topic, text), answer in zip(encoded, answers, strict=True):
            if isinstance(answer, aioredis.ResponseError) and "FENCED" in str(answer):
                raise Fenced(f"publication on {topic} refused: this engine no longer leads") from answer
            if isinstance(answer, Exception):
                raise answer
            offset, epoch = answer
            updates.append(Update(topic, int(offset), str(epoch), json.loads(text)))  # detached, as readers get it
        return updates

    async def _run_publishes(self, encoded: list[tuple[str, str]], fence: Fence | None) -> list[Any]:
        if not encoded:
            return []
        # EVALSHA itself, not redis-py's pipelined Script, which asks SCRIPT EXISTS first: a second round trip.
        async with self._redis.pipeline(transaction=False) as pipe:
            for topic, text in encoded:
                internal = topic.startswith(INTERNAL_PREFIX)
                keys = [self._meta(topic), self._stream(topic), self._all, fence.key if fence else self._all]
                args = [secrets.token_hex(4), text, self._internal_history if internal else self._history,
                        self._live_history, topic, "0" if internal else "1", fence.value if fence else ""]
                pipe.evalsha(self._script.sha, len(keys), *keys, *args)
            return list(await pipe.execute(raise_on_error=False))

    async def _epoch(self, topic: str) -> tuple[str | None, int]:
        epoch, offset = await self._redis.hmget(self._meta(topic), ["epoch", "offset"])
        return epoch, int(offset or 0)

    @staticmethod
    def _offset_of(entry_id: str) -> int:
        return int(entry_id.split("-", 1)[1])

    async def latest(self, topic: str) -> Update | None:
        epoch, _ = await self._epoch(topic)
        if epoch is None:
            return None
        entries = await self._redis.xrevrange(self._stream(topic), count=1)
        if not entries:
            return None
        entry_id, fields = entries[0]
        return Update(topic, self._offset_of(entry_id), epoch, json.loads(fields["d"]))

    async def history(self, topic: str) -> list[Update]:
        current, _ = await self._epoch(topic)
        if current is None:
            return []
        entries = await self._redis.xrange(self._stream(topic))
        return [Update(topic, self._offset_of(i), current, json.loads(f["d"])) for i, f in entries]

    async def since(self, topic: str, offset: int, epoch: str) -> list[Update] | None:
        current, top = await self._epoch(topic)
        if current is None or current != epoch or offset > top:
            return None
        if offset == top:
            return []
        entries = await self._redis.xrange(self._stream(topic), min=f"0-{offset + 1}")
        updates = [Update(topic, self._offset_of(i), current, json.loads(f["d"])) for i, f in entries]
        if not updates or updates[0].offset != offset + 1:
            return None  # trimmed: the gap is not fully in history, and a partial replay would mislead
        return updates

    async def live(self) -> AsyncIterator[Update]:
        """Rides out outages: after an error it reads on from the last entry it gave, never from the newest (a
        web process would otherwise serve old content until each topic changed again)."""
        last = "$"
        outage = Outage("live reader")
        while not self._closed:
            try:
                answer = await self._blocking.xread({self._all: last}, block=BLOCK_MS, count=500)
            except UNREACHABLE as exc:
                await outage.wait(exc)
                continue
            outage.over()
            _stop_if_cancelled()
            for _stream, entries in answer or ():
                for entry_id, fields in entries:
                    last = entry_id
                    yield Update(fields["t"], int(fields["o"]), fields["e"], json.loads(fields["d"]))

    async def tail(self, topic: str, after: int) -> AsyncIterator[list[Update]]:
        """Rides out outages; raises ``HistoryLost`` when the topic's epoch changes under it (Redis lost its
        data), since its offsets then start again and the reader must start over."""
        last = f"0-{after}"
        tailing: str | None = None
        outage = Outage(f"{topic} reader")
        while not self._closed:
            try:
                answer = await self._blocking.xread({self._stream(topic): last}, block=BLOCK_MS, count=TAIL_RUN)
                epoch, _ = await self._epoch(topic)
            except UNREACHABLE as exc:
                await outage.wait(exc)
                continue
            outage.over()
            _stop_if_cancelled()
            if tailing is None:
                tailing = epoch
            elif epoch is not None and epoch != tailing:
                raise HistoryLost(f"{topic}: epoch {tailing} is gone, {epoch} began")
            for _stream, entries in answer or ():
                if entries:
                    last = entries[-1][0]
                    yield [Update(topic, self._offset_of(entry_id), epoch or "", json.loads(fields["d"]))
                           for entry_id, fields in entries]

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (aioredis.RedisError, OSError):
            return False

    async def close(self) -> None:
        self._closed = True
        await self._blocking.aclose()
        await self._redis.aclose()
