"""Tokens changed from two places at once (two operators retrying dead letters, a rotation during a revocation)
lose nothing: each change is applied over what the other wrote, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from signage.store import Store
from signage.tokens import FeedTokens


async def test_temporary_tokens_issued_at_once_all_work(store: Store) -> None:
    tokens = FeedTokens(store)
    own = await tokens.issue("ngsi")
    temporary = await asyncio.gather(*(tokens.issue_temporary("ngsi", timedelta(minutes=5)) for _ in range(8)))
    for token in (own, *temporary):
        assert await tokens.check("ngsi", token, fresh=True) is not None
    await asyncio.gather(*(tokens.discard("ngsi", token) for token in temporary))
    assert [await tokens.check("ngsi", t, fresh=True) for t in temporary] == [None] * 8
    assert await tokens.check("ngsi", own, fresh=True) is not None
    assert await tokens.revoke("ngsi") is True and await tokens.check("ngsi", own, fresh=True) is None
    assert await tokens.revoke("ngsi") is False
