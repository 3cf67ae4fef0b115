"""A city that is not Dijon: German first, then English, on Berlin's clocks, with a road-traffic topic family of
its own. Nothing of Dijon's languages, time zone or topic families is assumed: staff write in the city's language,
citizens subscribe to its families on every channel, feeds in several languages give the city's, and the CAP
documents it publishes speak its languages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from signage.config import demo_config_path, load_config
from signage.demo.payloads import cap_alert
from signage.feeds.cap import decode_cap
from signage.settings import Settings
from signage.web.keys import BUS, ENGINE, STAFF
from tests.helpers import next_frame, until
from tests.push_service import subscriber_info

PASSWORD = "correct horse battery"
CITY = "Freiburg im Breisgau"


def freiburg(tmp_path: Path) -> Path:
    """The demo's panels, feeds and templates (written in French and English) in a German-speaking city."""
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data.update(city=CITY, timezone="Europe/Berlin", languages=["de", "en"], cap_sender="warnung@freiburg.example")
    data["topics"].append({"pattern": "traffic/*", "title": "Verkehr"})
    path = tmp_path / "freiburg.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
async def city(aiohttp_client: Any, tmp_path: Path) -> Any:
    from signage.cli import _new_vapid_private_key
    from signage.web.app import create_app

    settings = Settings(config_path=freiburg(tmp_path), role="all", redis_url=None,
                        sqlite_path=str(tmp_path / "store.sqlite3"), vapid_private_key=_new_vapid_private_key(),
                        vapid_subject="mailto:warnung@freiburg.example", push_services=("http://127.0.0.1:*",))
    client = await aiohttp_client(create_app(settings))
    await client.app[ENGINE].started.wait()
    return client


async def test_its_own_topic_family_is_served_on_websocket_sse_and_push(city: Any) -> None:
    ws = await city.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["weather/x", "traffic/b31"]})
    refused = await next_frame(ws, lambda f: f["type"] == "error")
    assert refused["code"] == "unknown_topic" and "weather/x" in refused["message"]
    assert (await next_frame(ws, lambda f: f["type"] == "subscribed"))["topic"] == "traffic/b31"
    await city.app[BUS].publish("traffic/b31", {"state": "Stau"})
    assert (await next_frame(ws, lambda f: f.get("topic") == "traffic/b31" and f["type"] == "update")
            )["data"] == {"state": "Stau"}
    await ws.close()

    events = await city.get("/api/v1/events?topics=traffic/b31")
    assert events.status == 200 and events.headers["Content-Type"].startswith("text/event-stream")
    events.close()

    phone = {**subscriber_info("http://127.0.0.1:9", "lena"), "topics": ["traffic/b31"], "language": "de"}
    subscribed = await city.post("/api/v1/push/subscriptions", json=phone)
    assert subscribed.status == 201, await subscribed.text()
    assert (await subscribed.json())["language"] == "de"


async def test_staff_write_first_in_the_citys_own_language(city: Any) -> None:
    await city.app[STAFF].add("jonas", "approver", PASSWORD)
    auth = {"Authorization": f"Bearer {await city.app[STAFF].issue_token('jonas')}"}
    ends = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    french_only = {"headline": {"fr": "Tempête"}, "zones": ["dijon-centre"], "ends_at": ends}
    refused = await city.post("/api/v1/admin/emergency", json=french_only, headers=auth)
    assert refused.status == 400 and "de required" in (await refused.json())["error"]["message"]

    german = {"headline": {"de": "Sturmwarnung", "en": "Storm warning"}, "zones": ["dijon-centre"], "ends_at": ends}
    issued = await city.post("/api/v1/admin/emergency", json=german, headers=auth)
    assert issued.status == 201, await issued.text()
    cap = await (await city.get((await issued.json())["cap"])).text()
    assert cap.index("<language>de</language>") < cap.index("<language>en-GB</language>")
    assert "<headline>Sturmwarnung</headline>" in cap and "<senderName>Freiburg im Breisgau</senderName>" in cap
    assert "+01:00</sent>" in cap or "+02:00</sent>" in cap  # on Berlin's clocks

    no_german = {"variants": {"en": {"title": "Car parks", "lines": ["{{ a_name }} {{ a_free }}"]}}}
    draft = await city.post("/api/v1/admin/templates/parking-guidance/versions", json=no_german, headers=auth)
    assert draft.status == 400 and "(de) is required" in (await draft.json())["error"]["message"]
    written = {"variants": {"de": {"title": "Parkhäuser", "lines": ["{{ a_name }}: {{ a_free | plural('Platz', "
                                                                    "'Plätze') }}"]}}}
    assert (await city.post("/api/v1/admin/templates/parking-guidance/versions", json=written,
                            headers=auth)).status == 201


async def test_pages_speak_the_citys_language_and_clocks(city: Any) -> None:
    manifest = await (await city.get("/manifest.webmanifest")).json()
    assert manifest["lang"] == "de" and manifest["name"].startswith(CITY)
    app = await (await city.get("/")).text()
    assert '<html lang="de" data-city="Freiburg im Breisgau" data-timezone="Europe/Berlin"' in app
    assert f"<title>{CITY} live</title>" in app  # "live" in German too
    atom = await (await city.get("/api/v1/open/alerts.atom")).text()
    assert f"<title>{CITY}: aktuelle Warnungen</title>" in atom
    kiosk = await (await city.get("/kiosk/gare")).text()
    assert 'data-timezone="Europe/Berlin"' in kiosk
    content = await (await city.get("/api/v1/panels/gare/content")).json()
    assert content["language"] == "de" and {p["language"] for p in content["pages"]} == {"en"}  # its next language


async def test_the_console_offers_the_citys_languages_in_the_browser(city: Any, browser: Any) -> None:
    await city.app[STAFF].add("mia", "approver", PASSWORD)
    base = str(city.make_url("")).rstrip("/").replace("127.0.0.1", "localhost")
    context = await browser.new_context(locale="de-DE")
    page = await context.new_page()
    await page.goto(base + "/admin/login")
    await page.fill("#username", "mia")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/admin")

    await page.goto(base + "/admin/templates/parking-guidance")
    legends = await page.eval_on_selector_all("fieldset[data-lang] legend", "nodes => nodes.map(n => n.textContent)")
    assert legends == ["Deutsch", "English"]
    options = await page.eval_on_selector_all("#preview-language option", "nodes => nodes.map(n => n.value)")
    assert options == ["de", "en"]

    await page.goto(base + "/admin/emergency")
    await page.fill("#e-headline-de", "Hochwasser an der Dreisam")
    await page.check("input[name=zones][value=dijon-centre]")
    await page.check("#e-confirm")
    await page.click("#issue")
    await until(page, "document.querySelector('[data-alert]')?.textContent.startsWith('Hochwasser an der Dreisam')")
    alerts = await (await city.get("/api/v1/open/alerts.atom")).text()
    assert "Hochwasser an der Dreisam" in alerts
    await context.close()


def test_a_feed_in_several_languages_gives_the_citys_language(tmp_path: Path) -> None:
    """A CAP alert in French and English: Dijon keeps the French <info> (its event, area and expiry), a city
    speaking German then English the English one."""
    now = datetime.now(UTC)
    body = cap_alert("MULTI1", now, now + timedelta(hours=3), event_fr="Vent violent")
    dijon = load_config(demo_config_path()).feeds["cap"]
    assert decode_cap(dijon, body, now).alerts[0].event == "Vent violent"
    german = load_config(freiburg(tmp_path)).feeds["cap"]
    assert german.languages == ("de", "en")
    assert decode_cap(german, body, now).alerts[0].event == "Strong wind"
