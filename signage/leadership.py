"""Which engine process leads: a lease in Redis with a fencing token, so that any number of engines can run and
exactly one publishes, pushes and drives devices.

The leader holds ``<prefix>engine:leader`` (``<token>:<holder>``, expiring after ``ttl_s``) and renews it every
``ttl_s / 4``; a standby tries to take it every second, so it takes over within ``ttl_s`` + 1 s of the leader's
death. Each new leader gets a larger token (``INCR``), and everything it writes on the bus and the work queue
carries the value it holds: Redis refuses the write when the lease holds another (a leader that paused past its
lease cannot publish). Without Redis there is one process: it leads, always.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from signage.protocol import Fence
from signage.redis_connection import redis_client
from signage.tasks import cancel_and_wait

__all__ = ["Leadership"]

log = logging.getLogger("signage.leadership")
TRY_EVERY_S = 1.0

_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Leadership:
    """Leads or stands by; ``while_leading(work)`` runs ``work`` only while this process leads."""

    def __init__(self, redis_url: str | None, prefix: str = "signage:", ttl_s: float = 6.0) -> None:
        self._redis: Any = redis_client(redis_url) if redis_url else None
        self._key = f"{prefix}engine:leader"
        self._counter = f"{prefix}engine:fence"
        self._ttl_ms = int(ttl_s * 1000)
        self._holder = secrets.token_hex(6)
        self._value: str | None = None
        self._held: str | None = None  # the lease this process held when Redis stopped answering
        self._changed = asyncio.Condition()
        self._listeners: list[Callable[[bool], Awaitable[None]]] = []
        if self._redis is None:
            self._value = f"0:{self._holder}"  # alone: the leader from the start
        else:
            self._acquire = self._redis.register_script(_ACQUIRE)
            self._renew = self._redis.register_script(_RENEW)
            self._release = self._redis.register_script(_RELEASE)

    @property
    def leading(self) -> bool:
        return self._value is not None

    @property
    def role(self) -> str:
        return "leader" if self.leading else "standby"

    def fence(self) -> Fence | None:
        """What this leader's writes must carry (None without Redis: nothing to fence)."""
        if self._redis is None or self._value is None:
            return None
        return Fence(self._key, self._value)

    def on_change(self, listener: Callable[[bool], Awaitable[None]]) -> None:
        """``listener(leading)`` is awaited each time this process starts or stops leading."""
        self._listeners.append(listener)

    async def _become(self, value: str | None) -> None:
        was = self.leading
        self._value = value
        if was != self.leading:
            log.warning("engine is now the %s%s", self.role, f" (fencing token {value.split(':')[0]})" if value else "")
            async with self._changed:
                self._changed.notify_all()
            for listener in self._listeners:
                try:
                    await listener(self.leading)
                except Exception:
                    log.exception("leadership listener failed")

    async def run(self) -> None:
        """Take the lease when it is free, renew it while held; until cancelled (then released)."""
        if self._redis is None:
            await asyncio.Event().wait()
        try:
            while True:
                await self._step()
                await asyncio.sleep(self._ttl_ms / 4000 if self.leading else TRY_EVERY_S)
        finally:
            if self._value is not None:
                with contextlib.suppress(aioredis.RedisError, OSError):
                    await self._release(keys=[self._key], args=[self._value])
                await self._become(None)

    async def _step(self) -> None:
        try:
            if self._value is None and self._held is not None:
                # Back from an outage: if the lease is still ours (Redis kept it), lead again at once.
                held, self._held = self._held, None
                if await self._renew(keys=[self._key], args=[held, self._ttl_ms]):
                    await self._become(held)
                    return
            if self._value is None:
                token = int(await self._acquire(keys=[self._key, self._counter], args=[self._holder, self._ttl_ms]))
                if token:
                    await self._become(f"{token}:{self._holder}")
            elif not await self._renew(keys=[self._key], args=[self._value, self._ttl_ms]):
                log.error("engine lease lost to another engine: standing by")
                await self._become(None)
        except (aioredis.RedisError, OSError) as exc:
            # Unable to renew: stop before the lease could lapse and another engine take over.
            log.error("engine lease unreachable (%s)", exc)
            if self._value is not None:
                self._held = self._value
                await self._become(None)

    async def while_leading(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` each time this process leads, cancelled as soon as it stops leading; until cancelled."""
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: self.leading)
            task = asyncio.ensure_future(work())
            stopped = asyncio.ensure_future(self._stopped_leading())
            try:
                await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                await cancel_and_wait(stopped)
                await cancel_and_wait(task)
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _stopped_leading(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: not self.leading)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
