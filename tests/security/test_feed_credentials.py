"""Only the city's producers reach a panel: every way a stranger could deliver to a feed, tried over HTTP.

Guards proven: the feed token check at the edge (``feed_delivery._sender``), ``allow_from``
(``address_allowed``), the CAP ``senders`` list (``decode_cap``), webhook signatures and delivery ids accepted
once (``feed_delivery._once`` over ``Store.claim``), revocation from the command line (``Keyring.revision`` watched
by ``_feed_access``), and ``signage check`` refusing a feed that says nothing of who may send to it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signage.demo.payloads import cap_alert
from signage.feeds.webhook import sign
from signage.web.keys import CONFIG, STORE
from tests.helpers import eventually, feed_auth, parking_body, post_parking
from tests.security.conftest import from_address


def attacker_alert() -> bytes:
    """A valid CAP 1.2 alert, Extreme, for Côte-d'Or: what got onto every panel before."""
    now = datetime.now(UTC)
    return cap_alert("ATTACK-1", now, now + timedelta(hours=6), severity="Extreme",
                     headline_fr="ÉVACUATION IMMÉDIATE", headline_en="EVACUATE NOW").replace(
        b"<sender>vigilance@meteo.fr</sender>", b"<sender>attacker@example.org</sender>")


async def feed_report(client: Any, feed: str) -> dict[str, Any]:
    report: dict[str, Any] = {f["feed"]: f for f in (await (await client.get("/api/v1/feeds")).json())["feeds"]}[feed]
    return report


async def delivered_after(client: Any, free: int = 321) -> None:
    """A genuine delivery sent now, and seen in the open data: the engine takes deliveries in order, so whatever
    reached it before has been taken too."""
    await post_parking(client, "dauphine", free)

    async def seen() -> bool:
        items = (await (await client.get("/api/v1/open/parking")).json())["items"]
        return any(item["id"] == "dauphine" and item["free"] == free for item in items)

    await eventually(seen, what="the later genuine delivery")


async def nothing_on_the_panels(client: Any) -> None:
    await delivered_after(client)
    for panel in ("darcy", "gare", "republique"):
        content = await (await client.get(f"/api/v1/panels/{panel}/content")).json()
        assert content["lane"] != "alert", (panel, content["lane"])
    assert (await (await client.get("/api/v1/open/alerts")).json())["alerts"] == []


async def test_an_anonymous_alert_is_refused_unkept_and_counted(attacked: Any) -> None:
    response = await attacked.post("/feeds/cap", data=attacker_alert(), headers={"Content-Type": "application/xml"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "token_required"
    wrong = await attacked.post("/feeds/cap", data=attacker_alert(), headers={"Authorization": "Bearer ft_guess"})
    assert wrong.status == 401 and (await wrong.json())["error"]["code"] == "bad_token"
    await nothing_on_the_panels(attacked)
    assert await attacked.app[STORE].count("dead_letters") == 0
    async def counted() -> Any:  # refusals reach feed health in a summary every few seconds
        report = await feed_report(attacked, "cap")
        return report if report["unauthenticated"] == 2 else None

    assert (await eventually(counted))["status"] != "error"
    assert "signage_feed_deliveries_total{feed=\"cap\",result=\"unauthenticated\"} 2.0" in await (
        await attacked.get("/metrics")).text()


async def test_an_alert_from_an_unlisted_sender_is_refused_even_with_the_feed_token(attacked: Any) -> None:
    response = await attacked.post("/feeds/cap", data=attacker_alert(), headers=await feed_auth(attacked, "cap"))
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "sender_not_allowed"
    await nothing_on_the_panels(attacked)
    assert await attacked.app[STORE].count("dead_letters") == 0


async def test_car_park_counts_need_the_feed_token(attacked: Any) -> None:
    response = await attacked.post("/feeds/ngsi", data=parking_body("darcy", 0))
    assert response.status == 401
    await delivered_after(attacked)
    darcy = await attacked.get("/api/v1/open/parking")
    assert all(item["id"] != "darcy" for item in (await darcy.json())["items"])
    accepted = await attacked.post("/feeds/ngsi", data=parking_body("darcy", 7), headers=await feed_auth(attacked,
                                                                                                         "ngsi"))
    assert accepted.status == 202


async def test_allow_from_refuses_a_good_token_from_another_network(attacked: Any) -> None:
    auth = await feed_auth(attacked, "partner")
    outside = await attacked.post("/feeds/partner", data=parking_body("darcy", 3),
                                  headers={**auth, **from_address("203.0.113.9")})
    assert outside.status == 403 and (await outside.json())["error"]["code"] == "address_not_allowed"
    inside = await attacked.post("/feeds/partner", data=parking_body("darcy", 3),
                                 headers={**auth, **from_address("192.0.2.44")})
    assert inside.status == 202


async def test_a_signed_webhook_is_accepted_once(attacked: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(attacked.app[CONFIG].current.feeds["webhook"].options, "secret", "partner-secret")
    body = b'{"sensor": "darcy-1", "laeq": 64.5, "place": "Place Darcy"}'
    signed = {"X-Signature": sign("partner-secret", int(time.time()), body), "Content-Type": "application/json"}
    assert (await attacked.post("/feeds/webhook", data=body, headers=signed)).status == 202
    again = await attacked.post("/feeds/webhook", data=body, headers=signed)  # a captured delivery, sent again
    assert again.status == 409 and (await again.json())["error"]["code"] == "duplicate_delivery"
    identified = {"X-Delivery-Id": "delivery-77", "Content-Type": "application/json"}
    first = await attacked.post("/feeds/webhook", data=body, headers={
        **identified, "X-Signature": sign("partner-secret", int(time.time()) - 1, body)})
    assert first.status == 202
    resigned = await attacked.post("/feeds/webhook", data=body, headers={
        **identified, "X-Signature": sign("partner-secret", int(time.time()) - 2, body)})
    assert resigned.status == 409  # the same delivery id, however it is signed


def cli(env: dict[str, str], config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "signage", *args, "--config", str(config)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env}, check=False)


def store_env(backend_env: dict[str, str | None]) -> dict[str, str]:
    """The environment that points the command line at the test's store."""
    if backend_env["redis_url"]:
        return {"SIGNAGE_REDIS_URL": str(backend_env["redis_url"]), "SIGNAGE_REDIS_PREFIX":
                str(backend_env["redis_prefix"])}
    return {"SIGNAGE_SQLITE_PATH": str(backend_env["sqlite_path"])}


async def test_tokens_from_the_command_line_work_and_revocation_cuts_them_off(
        attacked: Any, backend_env: dict[str, str | None], city: Path) -> None:
    env = store_env(backend_env)
    issued = await asyncio.to_thread(cli, env, city, "feeds", "token", "ngsi")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("ft_") and "shown only now" in issued.stderr
    auth = {"Authorization": f"Bearer {token}"}
    assert (await attacked.post("/feeds/ngsi", data=parking_body("darcy", 9), headers=auth)).status == 202
    revoked = await asyncio.to_thread(cli, env, city, "feeds", "revoke", "ngsi")
    assert revoked.returncode == 0 and "revoked" in revoked.stderr
    async def refused() -> bool:  # the running server notices within a second or two
        return bool((await attacked.post("/feeds/ngsi", data=parking_body("darcy", 9), headers=auth)).status == 401)

    await eventually(refused)
    assert token not in stored_text(backend_env)  # only digests are ever stored


def stored_text(backend_env: dict[str, str | None]) -> str:
    """Everything the store holds, as text: the SQLite file, or every value under the Redis prefix."""
    if not backend_env["redis_url"]:
        return Path(str(backend_env["sqlite_path"])).read_bytes().decode("utf-8", "replace")
    import redis

    client = redis.Redis.from_url(str(backend_env["redis_url"]), decode_responses=True)
    try:
        return "\n".join(str(client.dump(key)) for key in client.scan_iter(f"{backend_env['redis_prefix']}*"))
    finally:
        client.close()


def test_check_refuses_a_feed_that_says_nothing_of_who_may_send(tmp_path: Path) -> None:
    from signage.config import demo_config_path

    open_feed = demo_config_path().read_text(encoding="utf-8").replace(
        "    max_age: 5m\n    auth: token\n    routes: [T1, T2]", "    max_age: 5m\n    routes: [T1, T2]")
    config = tmp_path / "city.yaml"
    config.write_text(open_feed, encoding="utf-8")
    checked = cli({}, config, "check")
    assert checked.returncode == 1
    assert "gtfs-rt" in checked.stdout and "auth: token" in checked.stdout and "allow_anonymous" in checked.stdout
    config.write_text(open_feed.replace("    routes: [T1, T2]", "    routes: [T1, T2]\n    allow_anonymous: true"),
                      encoding="utf-8")
    assert cli({}, config, "check").returncode == 0


async def test_an_anonymous_feed_says_so_at_start(make_client: Any, city: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    city.write_text(city.read_text(encoding="utf-8").replace('"auth": "token", "allow_from"',
                                                             '"allow_anonymous": true, "allow_from"'), "utf-8")
    client = await make_client()
    assert any("partner accepts deliveries from anyone" in r.getMessage() for r in caplog.records)
    inside = await client.post("/feeds/partner", data=parking_body("darcy", 3), headers=from_address("192.0.2.1"))
    assert inside.status == 202  # anyone, but still only from its network
    assert (await client.post("/feeds/partner", data=parking_body("darcy", 3))).status == 403
