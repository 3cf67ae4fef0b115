"""The signed JSON webhook: accepted when the HMAC matches and is fresh, refused otherwise, over real HTTP."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from signage.feeds import FeedError, decode_delivery
from signage.feeds.webhook import sign
from signage.model import FeedConfig

SECRET = "s3cret-for-tests"
FEED = FeedConfig("webhook", "webhook", timedelta(minutes=10),
                  {"secret": SECRET, "key": "noise/{id}", "id_field": "sensor",
                   "fields": {"level_db": "laeq", "place": "place"}, "time_field": "measured_at"})
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
BODY = json.dumps({"sensor": "Darcy-1", "laeq": 61.5, "place": "Place Darcy",
                   "measured_at": "2026-11-25T08:59:30+01:00"}).encode()


def test_a_signed_fresh_delivery_is_mapped() -> None:
    headers = {"X-Signature": sign(SECRET, int(NOW.timestamp()) - 30, BODY)}
    [observation] = decode_delivery(FEED, BODY, NOW, headers).observations
    assert (observation.key, dict(observation.value)) == ("noise/darcy-1", {"level_db": 61.5, "place": "Place Darcy"})
    assert observation.observed_at == datetime(2026, 11, 25, 7, 59, 30, tzinfo=UTC)


@pytest.mark.parametrize(("headers", "reason"), [
    ({}, "missing"),
    ({"X-Signature": "garbage"}, "expected t="),
    ({"X-Signature": sign("other-secret", int(NOW.timestamp()), BODY)}, "does not match"),
    ({"X-Signature": sign(SECRET, int(NOW.timestamp()) - 301, BODY)}, "more than five minutes old"),
    ({"X-Signature": sign(SECRET, int(NOW.timestamp()), BODY + b" ")}, "does not match"),
])
def test_unsigned_stale_or_tampered_deliveries_are_refused(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        decode_delivery(FEED, BODY, NOW, headers)
    assert caught.value.code == "bad_signature" and reason in caught.value.reason
    assert SECRET not in str(caught.value)


async def test_over_http_a_replayed_signature_gets_401_and_is_not_kept(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from signage.web.keys import CONFIG, STORE

    feed = client.app[CONFIG].current.feeds["webhook"]
    monkeypatch.setitem(feed.options, "secret", SECRET)
    fresh = await client.post("/feeds/webhook", data=BODY,
                              headers={"X-Signature": sign(SECRET, int(time.time()), BODY)})
    assert fresh.status == 202 and (await fresh.json())["observations"] == 1
    old = await client.post("/feeds/webhook", data=BODY,
                            headers={"X-Signature": sign(SECRET, int(time.time()) - 600, BODY)})
    assert old.status == 401 and (await old.json())["error"]["code"] == "bad_signature"
    assert await client.app[STORE].count("dead_letters") == 0
