"""CAP 1.2 alerts: the OASIS specification's own examples, Météo-France and the DWD as they send them, and hostile
XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signage.demo.payloads import cap_alert
from signage.feeds import FeedError, decode_delivery
from signage.model import Alert, FeedConfig
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


FRENCH_CITY = FeedConfig("cap", "cap", timedelta(days=1), {}, ("fr", "en"))


def test_a_meteo_france_vigilance_reads_as_its_colour_in_french_and_english() -> None:
    """A yellow thunderstorm vigilance for four départements, as Météo-France sends it to MeteoAlarm: yellow is
    Moderate, both texts are kept, the areas are NUTS3 codes, and the producer's tab-laden text reads as one line."""
    body = (SAMPLES / "cap" / "meteo-france-vigilance-jaune-orages-2022-08-10.xml").read_bytes()
    [alert] = decode_delivery(FRENCH_CITY, body, NOW).alerts
    assert alert.id == "2.49.0.0.250.0.FR.20220810161220.589023"
    assert (alert.msg_type, alert.severity, alert.urgency, alert.certainty) == ("alert", "moderate", "future", "likely")
    assert alert.headline == {"fr": "Vigilance jaune orages", "en": "Moderate thunderstorm warning"}
    assert alert.event == "Vigilance jaune orages"  # the city's language first
    assert alert.zones == ("NUTS3:FR821", "NUTS3:FR822", "NUTS3:FR823", "NUTS3:FR623")
    assert alert.expires == datetime(2022, 8, 11, 14, 0, tzinfo=UTC)
    assert alert.description["fr"] == ("Des phenomenes habituels dans la region mais occasionnellement et localement "
                                       "dangereux sont prevus , (ex. mistral, orage d?ete, montee des eaux, fortes "
                                       "vagues submergeant le littoral)")
    assert alert.instruction["en"].startswith("Be aware and pay attention")
    assert dict(alert.origin) == {"sender": "vigilance@meteo.fr", "identifier": alert.id,
                                  "sent": "2022-08-10T16:12:20+02:00", "awareness_level": "2; yellow; Moderate",
                                  "awareness_type": "3; Thunderstorm"}


def test_a_dwd_update_names_the_warning_it_replaces_and_keeps_its_german_text() -> None:
    """The DWD's thunderstorm warning for one municipality, updated: the warning it replaces is named, the area is
    the DWD's warn cell (the polygon alone gives no code), and German is kept when the city reads neither."""
    body = (SAMPLES / "cap" / "dwd-starkes-gewitter-update-2022-08-26.xml").read_bytes()
    [alert] = decode_delivery(FRENCH_CITY, body, NOW).alerts
    assert alert.msg_type == "update"
    assert alert.references == ("2.49.0.0.276.0.DWD.PVW.1661542140000.7462e657-ce54-473f-91c8-abe408afe703.MUL",)
    assert (alert.severity, alert.urgency) == ("moderate", "immediate")
    assert alert.zones == ("WARNCELLID:814626190",)
    assert alert.headline == {"de": "Amtliche WARNUNG vor STARKEM GEWITTER"}
    assert alert.instruction["de"].startswith("ACHTUNG! Hinweis auf mögliche Gefahren")
    assert alert.expires == datetime(2022, 8, 26, 21, 0, tzinfo=UTC)


def test_a_meteo_france_all_clear_is_an_update_that_expires_as_it_is_sent() -> None:
    """How Météo-France lifts a vigilance: an Update naming the one it ends, with responseType AllClear and an
    expiry equal to its effective time."""
    body = (SAMPLES / "cap" / "meteo-france-vigilance-jaune-avalanches-update-2022-12-07.xml").read_bytes()
    [alert] = decode_delivery(FRENCH_CITY, body, NOW).alerts
    assert alert.msg_type == "update" and alert.references == ("2.49.0.0.250.0.FR.20221206160108.315028",)
    assert alert.expires == datetime(2022, 12, 7, 5, 1, tzinfo=UTC) < alert.sent + timedelta(minutes=1)
    assert alert.zones[-1] == "NUTS3:FR718" and len(alert.zones) == 6


def test_an_israeli_yellow_warning_is_moderate_whatever_its_severity_says() -> None:
    """The Israel Meteorological Service marks a yellow flash-flood warning Severe; MeteoAlarm's colour is what a
    reader goes by. Its areas are EMMA_ID geocodes with empty polygons, and its Hebrew text is kept."""
    body = (SAMPLES / "cap" / "ims-israel-flash-floods-2025-03-06.xml").read_bytes()
    [alert] = decode_delivery(FRENCH_CITY, body, NOW).alerts
    assert (alert.severity, alert.certainty, alert.urgency) == ("moderate", "possible", "future")
    assert alert.zones == ("EMMA_ID:IL043", "EMMA_ID:IL042", "EMMA_ID:IL045")
    assert alert.headline == {"en": "Flash Floods", "he": "שטפונות בזק"}
    assert alert.expires == datetime(2025, 3, 7, 12, 0, tzinfo=UTC) and not alert.all_clear


def test_a_macao_signal_cancelled_is_an_all_clear_in_three_languages() -> None:
    """Macao's weather bureau lifts its black-ball monsoon signal with an Update (responseType AllClear, urgency
    Past, no expiry) in Chinese, Portuguese and English; its only area is a polygon."""
    body = (SAMPLES / "cap" / "smg-macao-monsoon-signal-cancelled-2025-04-13.xml").read_bytes()
    [alert] = decode_delivery(FRENCH_CITY, body, NOW).alerts
    assert alert.all_clear and alert.msg_type == "update" and alert.urgency == "past"
    assert set(alert.headline) == {"zh", "pt", "en"} and alert.event == "STRONG MONSOON SIGNAL"
    assert alert.headline["en"] == "Strong monsoon signal(Black ball) was cancelled at 2025-04-13 06:00."
    assert alert.zones == () and alert.expires is None and alert.instruction == {}  # its instruction is empty
    assert alert.references == ("SMG-Weather_MS_2025_006_03",)  # its own identifier, as the bureau sends it
    assert Alert.from_json(alert.to_json()) == alert  # as it crosses the bus


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
