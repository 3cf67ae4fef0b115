"""Refused deliveries cannot fill the store: strangers' bodies are never kept, and a producer's are kept within its
feed's limits (count, bytes, retention), the oldest dropped first and counted.

Guards proven: the edge refuses before reading a stranger's body (``feed_delivery``), ``DeadLetters.keep`` and
``prune`` within ``DeadLetterLimits`` (the test city keeps 3 letters, 64 KiB, for an hour), and the metric of
what was dropped.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.dead_letters import DeadLetters
from signage.web.keys import CONFIG, INTAKE, STORE
from tests.helpers import feed_auth


async def test_strangers_garbage_is_never_kept(attacked: Any) -> None:
    garbage = os.urandom(4 * 1024 * 1024)
    for _ in range(10):
        response = await attacked.post("/feeds/ngsi", data=io.BytesIO(garbage))
        assert response.status == 401
    assert await attacked.app[STORE].count("dead_letters") == 0
    assert await attacked.app[STORE].count("dead_letter_bodies") == 0


async def test_a_producers_refused_deliveries_stay_within_the_feeds_limits(attacked: Any) -> None:
    auth = await feed_auth(attacked, "ngsi")
    kept = []
    for n in range(6):
        response = await attacked.post("/feeds/ngsi", data=b'{"data": [{"id": %d}]}' % n, headers=auth)
        assert response.status == 400
        kept.append((await response.json())["error"]["dead_letter"])
    letters = await DeadLetters(attacked.app[STORE]).listing()
    assert [letter["id"] for letter in letters] == kept[-3:]  # the newest three, the oldest dropped first
    big = await attacked.post("/feeds/ngsi", data=b"[" + b" " * (100 * 1024), headers=auth)  # over 64 KiB alone
    assert big.status == 400 and "dead_letter" not in (await big.json())["error"]
    assert [letter["id"] for letter in await DeadLetters(attacked.app[STORE]).listing()] == kept[-3:]
    metrics = await (await attacked.get("/metrics")).text()
    assert 'signage_dead_letters_dropped_total{feed="ngsi",reason="count"} 3.0' in metrics
    assert 'signage_dead_letters_dropped_total{feed="ngsi",reason="bytes"} 1.0' in metrics


async def test_letters_past_their_retention_are_dropped(attacked: Any) -> None:
    auth = await feed_auth(attacked, "ngsi")
    assert (await attacked.post("/feeds/ngsi", data=b"{broken", headers=auth)).status == 400
    assert await attacked.app[STORE].count("dead_letters") == 1
    an_hour_later = datetime.now(UTC) + timedelta(minutes=61)  # what the hourly sweep sees then
    await attacked.app[INTAKE].prune_letters(attacked.app[CONFIG].current.feeds, an_hour_later)
    assert await attacked.app[STORE].count("dead_letters") == 0
    assert await attacked.app[STORE].count("dead_letter_bodies") == 0
    metrics = await (await attacked.get("/metrics")).text()
    assert 'signage_dead_letters_dropped_total{feed="ngsi",reason="age"} 1.0' in metrics
