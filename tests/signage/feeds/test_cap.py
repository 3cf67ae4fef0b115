"""CAP 1.2 alerts: the OASIS specification's own examples, and hostile XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signage.demo.payloads import cap_alert
from signage.feeds import FeedError, decode_delivery
from signage.model import FeedConfig
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
FEED = FeedConfig("cap", "cap", timedelta(days=1), {})


def test_severe_thunderstorm_example() -> None:
    body = (SAMPLES / "cap" / "oasis-cap12-a2-severe-thunderstorm.xml").read_bytes()
    [alert] = decode_delivery(FEED, body, NOW).alerts
    assert alert.id == "KSTO1055887203"
    assert (alert.msg_type, alert.severity, alert.urgency) == ("alert", "severe", "immediate")
    assert alert.zones == ("SAME:006109", "SAME:006009", "SAME:006003")
    assert alert.expires == datetime(2003, 6, 17, 23, 0, tzinfo=UTC)
    assert alert.headline == {"en": "SEVERE THUNDERSTORM WARNING"}
    # What people should do is kept, so that kiosks, phones and the CAP the city republishes say it too.
    assert alert.instruction == {"en": "TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES."}


def test_two_languages_are_both_kept_and_no_expiry_is_allowed() -> None:
    body = (SAMPLES / "cap" / "oasis-cap12-a4-amber-alert-en-es.xml").read_bytes()
    [alert] = decode_delivery(FEED, body, NOW).alerts
    assert set(alert.headline) == {"en", "es"}
    assert alert.expires is None


def test_update_and_cancel_name_the_alert_they_replace() -> None:
    sent = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    body = cap_alert("B", sent, sent + timedelta(hours=6), "Update", f"vigilance@meteo.fr,A,{sent.isoformat()}")
    [alert] = decode_delivery(FEED, body, NOW).alerts
    assert alert.msg_type == "update" and alert.references == ("A",)
    assert alert.headline["fr"].startswith("Vigilance orange") and alert.zones == ("NUTS3:FR261",)


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>',
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><alert>&b;</alert>',
])
def test_entities_and_dtds_are_refused(body: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        decode_delivery(FEED, body, NOW)
    assert caught.value.code == "forbidden_xml"


@pytest.mark.parametrize(("body", "where"), [
    (b"<alert", "xml"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "xml"),
    (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><sender>x</sender></alert>", "alert.identifier"),
])
def test_malformed_alerts_name_what_is_wrong(body: bytes, where: str) -> None:
    with pytest.raises(FeedError) as caught:
        decode_delivery(FEED, body, NOW)
    assert caught.value.where == where
