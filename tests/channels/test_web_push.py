"""Web Push end to end: phones subscribe, the engine decides, push workers send, and a local push service
decrypts each message with ``http_ece`` and the phone's private key: what the tests read is what a phone shows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signage.cli import _new_vapid_private_key
from signage.demo.payloads import cap_alert
from signage.settings import Settings
from signage.web.keys import SUBSCRIPTIONS
from tests.helpers import eventually, feed_auth, no_quiet_config
from tests.push_service import PushServiceState, local_push_service, subscriber_info

VAPID = _new_vapid_private_key()


@pytest.fixture
async def push_setup(aiohttp_client, aiohttp_server, tmp_path: Path):  # type: ignore[no-untyped-def]
    from signage.web.app import create_app
    from signage.web.keys import ENGINE

    state = PushServiceState()
    service = await aiohttp_server(local_push_service(state))
    settings = Settings(config_path=no_quiet_config(tmp_path), role="all", redis_url=None,
                        sqlite_path=str(tmp_path / "store.sqlite3"), vapid_private_key=VAPID,
                        vapid_subject="mailto:alertes@metropole-dijon.fr", push_services=("http://127.0.0.1:*",))
    client = await aiohttp_client(create_app(settings))
    await client.app[ENGINE].started.wait()
    return client, state, f"http://127.0.0.1:{service.port}"


async def subscribe(client: Any, base: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {**subscriber_info(base, name), "topics": ["alerts/cote-d-or"], "language": "fr", **extra}
    response = await client.post("/api/v1/push/subscriptions", json=body)
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def metric(client: Any, series: str) -> float:
    """One series of ``/metrics`` (``name{labels}``), 0 when it has not been counted yet."""
    for line in (await (await client.get("/metrics")).text()).splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


async def batches_done(client: Any, at_least: float) -> bool:
    """Whether the push workers finished ``at_least`` batches: every phone of each batch was tried or skipped."""
    return await metric(client, 'signage_push_jobs_total{kind="batch"}') >= at_least


async def post_alert(client: Any, identifier: str, headline: str, severity: str = "Moderate") -> None:
    now = datetime.now(UTC)
    body = cap_alert(identifier, now, now + timedelta(hours=6), severity=severity, headline_fr=headline,
                     headline_en=f"EN {headline}")
    response = await client.post("/feeds/cap", data=body, headers=await feed_auth(client, "cap"))
    assert response.status == 202, await response.text()


async def test_phones_get_the_alert_in_their_language_encrypted_for_them(push_setup) -> None:  # type: ignore[no-untyped-def]
    client, state, base = push_setup
    key = await (await client.get("/api/v1/push/vapid-public-key")).json()
    assert len(key["public_key"]) == 87  # an uncompressed P-256 point, base64url
    answer = await subscribe(client, base, "anne", language="fr")
    assert set(answer) == {"id", "topics", "language", "quiet_hours"}  # never the endpoint or keys back
    await subscribe(client, base, "ben", language="en")
    await post_alert(client, "WP1", "Vent violent sur la métropole")
    await eventually(lambda: {r.name for r in state.received} >= {"anne", "ben"})
    assert state.problems == []
    by_name = {r.name: r for r in state.received}
    anne, ben = by_name["anne"].json(), by_name["ben"].json()
    assert anne["lang"] == "fr" and "Vent violent sur la métropole" in anne["body"]
    assert ben["lang"] == "en" and "EN Vent violent sur la métropole" in ben["body"]
    assert anne["tag"] == "alert:WP1" and anne["url"] == "/#alerts/cote-d-or"
    headers = by_name["anne"].headers
    assert headers["urgency"] == "high"  # an alert
    assert 5 * 3600 < int(headers["ttl"]) <= 6 * 3600  # until the alert expires: hours, never 0
    assert len(headers["topic"]) == 32
    # The worker counts each outcome once the service's answer is back.
    await eventually(lambda: metric(client, 'signage_push_messages_total{outcome="sent"}'), what="pushes counted")
    await eventually(lambda: batches_done(client, 1), what="the batch done")
    metrics = await (await client.get("/metrics")).text()
    assert 'signage_push_messages_total{outcome="sent"} 2.0' in metrics
    assert base not in metrics and "anne" not in metrics  # nothing personal in metrics


async def test_a_push_service_answering_503_then_429_then_201_is_retried(push_setup) -> None:  # type: ignore[no-untyped-def]
    client, state, base = push_setup
    await subscribe(client, base, "carla")
    state.script("carla", (503, {}), (429, {"Retry-After": "1"}))
    started = asyncio.get_running_loop().time()
    await post_alert(client, "WP2", "Orages")
    await eventually(lambda: any(r.name == "carla" and r.status == 201 for r in state.received))
    statuses = [r.status for r in state.received if r.name == "carla"]
    assert statuses == [503, 429, 201]  # a 5xx is retried with backoff, a 429 after its Retry-After
    assert asyncio.get_running_loop().time() - started >= 1.0  # Retry-After honoured

    async def counted_sent() -> bool:  # the worker counts the outcome once the service's answer is back
        return await metric(client, 'signage_push_messages_total{outcome="sent"}') == 1.0

    await eventually(counted_sent, what="the sent push counted")
    assert await metric(client, "signage_push_attempts_total") == 3.0


async def test_the_vapid_header_is_signed_once_per_push_service(push_setup) -> None:  # type: ignore[no-untyped-def]
    from signage.web.keys import PUSH_WORKERS

    client, state, base = push_setup
    for name in ("kim", "lea", "max"):
        await subscribe(client, base, name)
    await post_alert(client, "WP8", "Grêle")
    await post_alert(client, "WP9", "Grêle forte")
    await eventually(lambda: len(state.received) == 6)
    tokens = {r.headers["authorization"] for r in state.received}
    assert len(tokens) == 1  # six messages, one VAPID signature reused
    assert client.app[PUSH_WORKERS][0].sender.signatures == 1


async def test_a_gone_subscription_is_forgotten(push_setup) -> None:  # type: ignore[no-untyped-def]
    client, state, base = push_setup
    await subscribe(client, base, "dora")
    state.script("dora", (410, {}))
    await post_alert(client, "WP3", "Neige")
    await eventually(lambda: metric(client, 'signage_push_messages_total{outcome="gone"}'))
    assert [r.name for r in state.received] == ["dora"]
    assert await client.app[SUBSCRIPTIONS].count() == 0
    response = await client.delete("/api/v1/push/subscriptions", json={"endpoint": f"{base}/push/dora"})
    assert response.status == 404  # already deleted by the 410
    await subscribe(client, base, "witness")  # so that the next alert has a batch to finish
    batches = await metric(client, 'signage_push_jobs_total{kind="batch"}')
    await post_alert(client, "WP4", "Verglas")
    await eventually(lambda: batches_done(client, batches + 1))
    assert [r.name for r in state.received] == ["dora", "witness"]  # the gone phone was not tried again


async def test_quiet_hours_hold_back_all_but_urgent_alerts(push_setup) -> None:  # type: ignore[no-untyped-def]
    client, state, base = push_setup
    await subscribe(client, base, "eve", quiet_hours="00:00-24:00")  # always quiet
    await subscribe(client, base, "fred")
    await post_alert(client, "WP5", "Brouillard")
    await eventually(lambda: metric(client, 'signage_push_messages_total{outcome="quiet"}'))  # eve's, held back
    await eventually(lambda: any(r.name == "fred" for r in state.received))
    assert not any(r.name == "eve" for r in state.received)
    await post_alert(client, "WP6", "Tempête", severity="Extreme")
    await eventually(lambda: any(r.name == "eve" for r in state.received))
    assert state.received[-1].json()["severity"] == "extreme"


async def test_unsubscribe_removes_the_phone(push_setup) -> None:  # type: ignore[no-untyped-def]
    client, state, base = push_setup
    await subscribe(client, base, "gus")
    await subscribe(client, base, "witness")  # so that the alert has a batch to finish
    response = await client.delete("/api/v1/push/subscriptions", json={"endpoint": f"{base}/push/gus"})
    assert response.status == 204
    await post_alert(client, "WP7", "Canicule")
    await eventually(lambda: batches_done(client, 1))
    assert [r.name for r in state.received] == ["witness"]


@pytest.mark.parametrize(("change", "field"), [
    ({"endpoint": "https://attacker.example/steal"}, "endpoint"),
    ({"endpoint": "http://127.0.0.1:1/../../x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}, "keys.p256dh"),
    ({"topics": ["secrets/all"]}, "topics"),
    ({"topics": []}, "topics"),
    ({"language": "de"}, "language"),
    ({"quiet_hours": "late"}, "quiet_hours"),
])
async def test_bad_subscriptions_get_a_clear_error(push_setup, change: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    client, _, base = push_setup
    body = {**subscriber_info(base, "hal"), "topics": ["alerts/cote-d-or"], **change}
    response = await client.post("/api/v1/push/subscriptions", json=body)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "bad_subscription" and error["field"] == field
    too_big = await client.post("/api/v1/push/subscriptions", data=b"{" + b" " * 20_000 + b"}",
                                headers={"Content-Type": "application/json"})
    assert too_big.status == 413


async def test_subscriptions_not_renewed_in_60_days_expire(tmp_path: Path) -> None:
    from channels.push_subscriptions import SubscriptionStore, parse_subscription
    from signage.store.sqlite import SqliteStore

    store = SqliteStore(str(tmp_path / "s.sqlite3"))
    subscriptions = SubscriptionStore(store)
    base = "http://127.0.0.1:9"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for name, at in (("old", start), ("renewed", start + timedelta(days=30))):
        subscription = parse_subscription({**subscriber_info(base, name), "topics": ["alerts/cote-d-or"]},
                                          services=("http://127.0.0.1:*",), languages=("fr",),
                                          topic_ok=lambda t: True)
        await subscriptions.save(subscription, at)
    assert await subscriptions.expire(start + timedelta(days=61)) == 1
    assert await subscriptions.count() == 1
    assert await subscriptions.ids_for("alerts/cote-d-or") == [subscriptions_id(base, "renewed")]
    await store.close()


def subscriptions_id(base: str, name: str) -> str:
    from channels.push_subscriptions import subscription_id

    return subscription_id(f"{base}/push/{name}")
