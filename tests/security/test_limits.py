"""Limits wherever a stranger can open something, and the client address those limits count by.

Guards proven: long polls in the per-address connection budget (``panel_content``); push subscriptions limited
per address (``PUSH_LIMITS``) and in all (``push_max_subscriptions``); the alert Atom and CAP documents rate
limited like open data (``limited``); security headers on every HTML page (``security_headers``); topics matched
to their end (``\\Z``); CSRF spared only for a token that authenticated (``BY_TOKEN``); sign-in delays that grow
per account and address and never lock the owner out (``LoginThrottle``); ``X-Forwarded-For`` believed only from
a listed proxy (``behind_trusted_proxy``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from signage.cli import _new_vapid_private_key
from signage.web.keys import STAFF
from signage.web.login_throttle import LoginThrottle
from tests.push_service import subscriber_info
from tests.security.conftest import from_address
from tests.test_staff_console import PASSWORD, session_cookie, sign_in


def phone(n: int, topics: list[str] | None = None) -> dict[str, Any]:
    return {**subscriber_info("https://fcm.googleapis.com", f"phone{n}"), "topics": topics or ["alerts/dijon"]}


async def test_push_subscriptions_are_limited_per_address_and_in_all(make_client: Any) -> None:
    client = await make_client(vapid_private_key=_new_vapid_private_key(), push_max_subscriptions=25)
    statuses = [(await client.post("/api/v1/push/subscriptions", json=phone(n), headers=from_address("198.51.100.7"))
                 ).status for n in range(22)]
    assert statuses[:20] == [201] * 20 and statuses[20:] == [429, 429]
    limited = await client.post("/api/v1/push/subscriptions", json=phone(99), headers=from_address("198.51.100.7"))
    assert int(limited.headers["Retry-After"]) > 0
    others = [(await client.post("/api/v1/push/subscriptions", json=phone(100 + n),
                                 headers=from_address(f"203.0.113.{n}"))).status for n in range(6)]
    assert others == [201] * 5 + [503]  # 25 in all
    renewal = await client.post("/api/v1/push/subscriptions", json=phone(100), headers=from_address("203.0.113.50"))
    assert renewal.status == 201  # a phone already subscribed may always renew
    newline = await client.post("/api/v1/push/subscriptions", json=phone(200, ["alerts/x\n"]),
                                headers=from_address("203.0.113.51"))
    assert newline.status == 400 and (await newline.json())["error"]["field"] == "topics"


async def test_long_polls_count_against_the_connection_budget(make_client: Any) -> None:
    client = await make_client(ws_max_per_address=2)
    content = await client.get("/api/v1/panels/darcy/content", headers=from_address("198.51.100.8"))
    etag = content.headers["ETag"]
    sockets = [await client.ws_connect("/ws", headers=from_address("198.51.100.8")) for _ in range(2)]
    held = await client.get("/api/v1/panels/darcy/content?wait=30",
                            headers={"If-None-Match": etag, **from_address("198.51.100.8")})
    assert held.status == 429 and (await held.json())["error"]["code"] == "too_many_connections"
    elsewhere = await client.get("/api/v1/panels/darcy/content?wait=0.2",
                                 headers={"If-None-Match": etag, **from_address("198.51.100.9")})
    assert elsewhere.status == 304
    for ws in sockets:
        await ws.close()


async def test_the_alert_feeds_are_rate_limited_like_open_data(make_client: Any) -> None:
    client = await make_client(open_burst=3, open_per_second=0.01)
    answers = [(await client.get("/api/v1/open/alerts.atom")).status for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    cap = await client.get("/api/v1/open/alerts/anything.xml")
    assert cap.status == 429 and int(cap.headers["Retry-After"]) > 0


@pytest.mark.parametrize("path", ["/kiosk/gare", "/about", "/api/v1/panels/gare/content?format=html", "/",
                                  "/admin/login"])
async def test_every_page_carries_its_security_headers(attacked: Any, path: str) -> None:
    page = await attacked.get(path)
    assert page.status == 200 and page.content_type == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_topics_are_matched_to_their_end(attacked: Any) -> None:
    sse = await attacked.get("/api/v1/events", params={"topics": "alerts/x\n"})
    assert sse.status == 400 and (await sse.json())["error"]["code"] == "unknown_topic"


async def test_a_junk_authorization_header_does_not_spare_the_csrf_check(attacked: Any) -> None:
    await attacked.app[STAFF].add("eddie", "editor", PASSWORD)
    session, _ = session_cookie(await sign_in(attacked, "eddie"))
    body = {"title": "Faux", "lines": ["x"], "targets": {"zones": ["dijon"]}}
    forged = await attacked.post("/api/v1/admin/broadcasts", json=body, headers={
        "Cookie": f"signage_session={session}", "Authorization": "Bearer junk"})
    assert forged.status == 403 and (await forged.json())["error"]["code"] == "bad_csrf"
    token = await attacked.app[STAFF].issue_token("eddie")
    scripted = await attacked.post("/api/v1/admin/broadcasts", json=body,
                                   headers={"Authorization": f"Bearer {token}"})
    assert scripted.status == 201  # a token that authenticated needs no CSRF token


async def test_a_guesser_elsewhere_cannot_lock_the_owner_out(attacked: Any) -> None:
    await attacked.app[STAFF].add("eve", "approver", PASSWORD)
    guesser = from_address("203.0.113.66")
    statuses = [(await sign_in(attacked, "eve", "guess number one!", **guesser)).status for _ in range(8)]
    assert statuses[:3] == [401] * 3 and 429 in statuses[3:]  # the guesser is slowed at once
    owner = await sign_in(attacked, "eve", **from_address("192.0.2.10"))
    assert owner.status == 303  # the owner, at their desk, is not


async def test_a_forwarded_address_is_believed_only_from_a_listed_proxy(make_client: Any, city: Any) -> None:
    """The city lists a proxy, but this client is not it: whatever X-Forwarded-For it sends, its sign-ins count
    as its own address's."""
    city.write_text(city.read_text(encoding="utf-8").replace('"127.0.0.1/32", "::1/128"', '"10.9.9.9/32"'), "utf-8")
    client = await make_client()
    await client.app[STAFF].add("zoe", "viewer", PASSWORD)
    for n in range(3):
        assert (await sign_in(client, "zoe", "not the password", **from_address(f"198.51.100.{n}"))).status == 401
    spoofed = await sign_in(client, "zoe", "not the password", **from_address("198.51.100.99"))
    assert spoofed.status == 429


def test_sign_in_delays_grow_fade_and_spare_known_places() -> None:
    throttle = LoginThrottle()
    for n in range(3):
        assert throttle.wait_s("eve", "a", now=100.0 + n) == 0
        throttle.failed("eve", "a", now=100.0 + n)
    waits = []
    t = 102.0  # right after the third failure
    for _ in range(5):
        waits.append(throttle.wait_s("eve", "a", now=t))
        t += waits[-1]
        throttle.failed("eve", "a", now=t)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]  # growing, never a fixed lockout
    for n in range(30):  # a guess spread over many machines
        throttle.failed("eve", f"bot{n}", now=t)
    assert throttle.wait_s("eve", "new-place", now=t) == 30.0  # capped for an unknown place
    throttle.succeeded("eve", "office", now=t - 1)
    assert throttle.wait_s("eve", "office", now=t) == 0  # where the owner signed in before: no wait
    assert throttle.wait_s("eve", "a", now=t + 3601) == 0  # an hour without failures and it fades


async def test_nothing_a_stranger_opens_is_left_unbounded(attacked: Any) -> None:
    """A last look over the limits: each answer names its limit, so operators and clients know where they are."""
    too_many = [asyncio.create_task(attacked.get("/api/v1/open/parking")) for _ in range(70)]
    statuses = [r.status for r in await asyncio.gather(*too_many)]
    assert 429 in statuses and statuses.count(200) <= 61
