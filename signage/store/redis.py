"""The scale-out store on Redis: a hash per kind of document with a sorted set of its ids (the index a prefix is
read from), a stream for the audit log. A counter is a Lua script, a compare-and-set an optimistic transaction
(WATCH, then MULTI/EXEC, again if another writer came first)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from signage.redis_connection import redis_client
from signage.store import AUDIT_ACTOR_MAX
from signage.timeutil import format_instant

__all__ = ["RedisStore"]

# One more than the counter's last number and than ARGV[1]; KEYS[1] is the counter.
_NEXT_NUMBER = """
local value = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(ARGV[1])) + 1
redis.call('SET', KEYS[1], value)
return value
"""


class RedisStore:
    def __init__(self, url: str, prefix: str = "signage:") -> None:
        self._redis: Any = redis_client(url)
        self._prefix = prefix

    def _kind(self, kind: str) -> str:
        return f"{self._prefix}doc:{kind}"

    def _ids(self, kind: str) -> str:
        return f"{self._prefix}ids:{kind}"

    @staticmethod
    def _text(doc: dict[str, Any]) -> str:
        return json.dumps(doc, ensure_ascii=False, sort_keys=True)

    @property
    def _audit(self) -> str:
        return f"{self._prefix}audit"

    async def put(self, kind: str, doc_id: str, doc: dict[str, Any]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._kind(kind), doc_id, self._text(doc))
            pipe.zadd(self._ids(kind), {doc_id: 0})
            await pipe.execute()

    async def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        text = await self._redis.hget(self._kind(kind), doc_id)
        return json.loads(text) if text else None

    async def get_many(self, kind: str, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        texts = await self._redis.hmget(self._kind(kind), doc_ids)
        return {doc_id: json.loads(text) for doc_id, text in zip(doc_ids, texts, strict=True) if text}

    async def documents(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        if not prefix:
            entries = await self._redis.hgetall(self._kind(kind))
            return [json.loads(entries[k]) for k in sorted(entries)]
        await self._indexed(kind)
        start = b"[" + prefix.encode()
        ids = await self._redis.zrangebylex(self._ids(kind), start, b"(" + prefix.encode() + b"\xff")
        if not ids:
            return []
        texts = await self._redis.hmget(self._kind(kind), ids)
        return [json.loads(text) for text in texts if text]

    async def _indexed(self, kind: str) -> None:
        """Documents written before the index existed get into it once (the counts differ only then)."""
        if await self._redis.zcard(self._ids(kind)) != await self._redis.hlen(self._kind(kind)):
            ids = await self._redis.hkeys(self._kind(kind))
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._ids(kind))
                if ids:
                    pipe.zadd(self._ids(kind), dict.fromkeys(ids, 0))
                await pipe.execute()

    async def next_number(self, counter: str, at_least: int = 0) -> int:
        return int(await self._redis.eval(_NEXT_NUMBER, 1, f"{self._prefix}counter:{counter}", at_least))

    async def compare_and_set(self, kind: str, doc_id: str, expected: dict[str, Any] | None,
                              doc: dict[str, Any]) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(self._kind(kind))
                    text = await pipe.hget(self._kind(kind), doc_id)
                    if (json.loads(text) if text else None) != expected:
                        await pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.hset(self._kind(kind), doc_id, self._text(doc))
                    pipe.zadd(self._ids(kind), {doc_id: 0})
                    await pipe.execute()
                    return True
                except WatchError:  # another document of the kind was written meanwhile: look again
                    continue

    async def count(self, kind: str) -> int:
        return int(await self._redis.hlen(self._kind(kind)))

    async def delete(self, kind: str, doc_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._kind(kind), doc_id)
            pipe.zrem(self._ids(kind), doc_id)
            removed, _ = await pipe.execute()
        return bool(removed)

    def _claim_key(self, kind: str, claim_id: str) -> str:
        return f"{self._prefix}claim:{kind}:{claim_id}"

    async def claim(self, kind: str, claim_id: str, ttl_s: float) -> bool:
        return bool(await self._redis.set(self._claim_key(kind, claim_id), "1", nx=True,
                                          px=max(1, int(ttl_s * 1000))))

    async def claim_many(self, kind: str, claim_ids: list[str], ttl_s: float) -> None:
        if not claim_ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for claim_id in claim_ids:
                pipe.set(self._claim_key(kind, claim_id), "1", nx=True, px=max(1, int(ttl_s * 1000)))
            await pipe.execute()

    async def claimed(self, kind: str, claim_ids: list[str]) -> set[str]:
        if not claim_ids:
            return set()
        found = await self._redis.mget([self._claim_key(kind, c) for c in claim_ids])
        return {c for c, value in zip(claim_ids, found, strict=True) if value is not None}

    async def append_audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> dict[str, Any]:
        at = format_instant(datetime.now(UTC))
        actor = actor[:AUDIT_ACTOR_MAX]
        seq = await self._redis.incr(f"{self._audit}:seq")
        await self._redis.xadd(self._audit, {
            "seq": seq, "at": at, "actor": actor, "action": action, "target": target,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        })
        return {"seq": seq, "at": at, "actor": actor, "action": action, "target": target, "detail": detail}

    async def audit(self, limit: int = 100, query: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        needle = query.lower() if query else None
        last = "+"
        while len(found) < limit:
            batch = await self._redis.xrevrange(self._audit, max=last, count=500)
            if last != "+" and batch and batch[0][0] == last:
                batch = batch[1:]
            if not batch:
                break
            for entry_id, f in batch:
                last = entry_id
                text = f"{f['actor']} {f['action']} {f['target']} {f['detail']}".lower()
                if needle is None or needle in text:
                    found.append({"seq": int(f["seq"]), "at": f["at"], "actor": f["actor"],
                                  "action": f["action"], "target": f["target"], "detail": json.loads(f["detail"])})
                    if len(found) == limit:
                        break
        return found

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (aioredis.RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()
