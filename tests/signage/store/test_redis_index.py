"""A Redis store written before the id index existed: its documents get into the index on the first read by
prefix, and nothing is lost."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from signage.store.redis import RedisStore


async def test_documents_from_before_the_index_are_found_by_prefix(redis_url: str, redis_prefix: str) -> None:
    raw = aioredis.from_url(redis_url, decode_responses=True)
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        for key in ("parking:000001", "parking:000002", "air:000001"):  # as the earlier engine wrote them
            await raw.hset(f"{redis_prefix}doc:template_versions", key, json.dumps({"key": key}))
        await store.put("template_versions", "parking:000003", {"key": "parking:000003"})
        found = await store.documents("template_versions", "parking:")
        assert [d["key"] for d in found] == ["parking:000001", "parking:000002", "parking:000003"]
        assert await raw.zcard(f"{redis_prefix}ids:template_versions") == 4
    finally:
        await store.close()
        await raw.aclose()
