"""The pure flow on the demo configuration: what each panel shows as deliveries arrive and time passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from signage.config import Config, demo_config_path, load_config
from signage.demo.payloads import CAR_PARKS, air_quality_notification, cap_alert, parking_notification
from signage.feeds import decode_delivery
from signage.pipeline import Pipeline
from tests.conftest import SAMPLES

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PARKS = {p.id: p for p in CAR_PARKS}


def deliver(pipeline: Pipeline, feed: str, body: bytes, at: datetime):  # type: ignore[no-untyped-def]
    result = decode_delivery(pipeline.config.feeds[feed], body, at)
    return pipeline.ingest(result.observations, result.alerts, at)


def central_parking(pipeline: Pipeline, at: datetime, darcy: int = 120) -> None:
    for park, free in (("darcy", darcy), ("dauphine", 300), ("grangier", 0)):
        deliver(pipeline, "ngsi", parking_notification(PARKS[park], free, at), at)


def test_every_panel_has_content_before_anything_arrives(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    outcome = pipeline.start(T0)
    assert {p.topic for p in outcome.publications} == {f"panel/{p}" for p in demo_config.panels}
    assert pipeline.contents["darcy"]["multi"] == "[jl3]Dijon Métropole[nl]Place Darcy"


def test_car_park_readings_reach_the_led_sign_and_the_kiosk(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    assert pipeline.contents["darcy"]["multi"] == "[jl3]Darcy 120 pl[nl]Dauphine 300 pl[nl]Grangier COMPLET"
    assert pipeline.contents["gare"]["pages"][0]["lines"] == ["Darcy 120 pl", "Dauphine 300 pl", "Grangier COMPLET"]
    # The campus kiosk speaks English and is not a parking panel.
    assert pipeline.contents["campus"]["lane"] == "default"


def test_a_value_that_goes_stale_is_no_longer_shown_as_current(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    outcome = pipeline.advance(T0 + timedelta(minutes=10))  # the ngsi feed's max age
    expired = [r for r in outcome.records if r.kind == "expired"]
    assert [r.data["id"] for r in expired] == ["rule:parking-centre"]
    assert "stale" in expired[0].data["reason"]
    assert expired[0].at == T0 + timedelta(minutes=10)
    assert pipeline.contents["darcy"]["lane"] == "default"
    stale_topics = [p for p in outcome.publications if p.topic == "parking/darcy"]
    assert stale_topics and stale_topics[0].data["stale"] is True


def test_an_unchanged_reading_changes_nothing_anyone_sees(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    outcome = deliver(pipeline, "ngsi", parking_notification(PARKS["darcy"], 120, T0 + timedelta(seconds=30)),
                      T0 + timedelta(seconds=30))
    assert [r.kind for r in outcome.records] == ["observation", "delivery"]  # the topic update only
    assert outcome.records[1].data["target"] == "parking/darcy"


def test_weather_alert_pre_empts_is_updated_and_cancelled(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    alert = cap_alert("A", T0, T0 + timedelta(hours=6))
    outcome = deliver(pipeline, "cap", alert, T0)
    assert [r.kind for r in outcome.records][:2] == ["alert", "message"]
    assert outcome.records[0].data["resolved_zones"] == ["cote-d-or"]
    assert pipeline.contents["darcy"]["multi"] == "[jl3]ALERTE[nl]Vigilance orange[nl]vent violent"
    kiosk = pipeline.contents["campus"]["pages"][0]  # the headline once, then what is happening
    assert (kiosk["title"], kiosk["lines"]) == ("Orange warning: strong wind", ["Orange warning: strong wind."])
    assert "alerts/cote-d-or" in {p.topic for p in outcome.publications}

    update = cap_alert("B", T0 + timedelta(minutes=5), T0 + timedelta(hours=6), "Update",
                       f"vigilance@meteo.fr,A,{T0.isoformat()}", "Severe", headline_fr="Rafales 110 km/h")
    outcome = deliver(pipeline, "cap", update, T0 + timedelta(minutes=5))
    assert {r.data["id"]: r.data["reason"] for r in outcome.records if r.kind == "expired"} == {
        "alert:A": "updated by B"}
    assert list(pipeline.alerts) == ["B"]
    assert pipeline.contents["darcy"]["multi"] == "[jl3]ALERTE[nl]Rafales 110 km/h"

    cancel = cap_alert("C", T0 + timedelta(minutes=9), T0 + timedelta(hours=1), "Cancel",
                       f"vigilance@meteo.fr,B,{T0.isoformat()}")
    deliver(pipeline, "cap", cancel, T0 + timedelta(minutes=9))
    assert pipeline.alerts == {}
    assert pipeline.contents["darcy"]["multi"].startswith("[jl3]Darcy 120 pl")


def test_expiries_between_two_deliveries_happen_at_their_own_time_in_order(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    deliver(pipeline, "cap", cap_alert("A", T0, T0 + timedelta(minutes=2)), T0)
    deliver(pipeline, "cap", cap_alert("B", T0, T0 + timedelta(minutes=1), geocode="FRC11"), T0)
    later = T0 + timedelta(minutes=3)
    outcome = deliver(pipeline, "atmo", air_quality_notification(2, later), later)
    expired = [(r.data["id"], r.at) for r in outcome.records if r.kind == "expired"]
    assert expired == [("alert:B", T0 + timedelta(minutes=1)), ("alert:A", T0 + timedelta(minutes=2))]


def test_an_alert_for_a_place_outside_the_city_is_ignored_not_an_error(demo_config: Config) -> None:
    """Most of a national feed's alerts are for elsewhere: a normal outcome, said as such."""
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    outcome = deliver(pipeline, "cap", cap_alert("X", T0, T0 + timedelta(hours=1), geocode="FR101"), T0)
    assert not [r for r in outcome.records if r.kind == "error"]
    (ignored,) = [r for r in outcome.records if r.kind == "ignored"]
    assert ignored.data["reason"].startswith("not for this city") and "FR101" in ignored.data["reason"]
    assert pipeline.contents["darcy"]["lane"] == "default"


def test_poor_air_outranks_parking_on_every_panel_of_the_metropolis(demo_config: Config) -> None:
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    central_parking(pipeline, T0)
    deliver(pipeline, "atmo", air_quality_notification(5, T0), T0)
    assert pipeline.contents["darcy"]["multi"] == "[jl3]AIR TRÈS MAUVAIS[nl]Indice ATMO 5/6[nl]Limitez les efforts"
    decision = pipeline.decisions["darcy"]
    assert ("rule:parking-centre", "lower priority (40 < 60)") in decision.competing


def test_a_scheduled_broadcast_shows_from_its_start_to_its_end_and_can_be_cancelled_before(
        demo_config: Config) -> None:
    from signage.model import Lane, Message, Targets

    def market(message_id: str, starts: datetime) -> Message:
        return Message(message_id, Lane.OPERATOR, 60, "operator",
                       {"title": "Marché de Noël", "line1": "Place Rude", "line2": "", "line3": "", "line4": ""},
                       Targets(zones=("dijon-centre",)), ("panels", "kiosks"), starts, starts + timedelta(hours=1),
                       "console:test")

    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    pipeline.put_message(market("broadcast:a", T0 + timedelta(minutes=10)), T0)
    pipeline.put_message(market("broadcast:b", T0 + timedelta(minutes=20)), T0)
    assert pipeline.next_deadline() == T0 + timedelta(minutes=10)
    upcoming = pipeline.explain("darcy", T0)["scheduled"]  # the panel's "why" tells what is still to come
    assert [(m["id"], m["starts_at"]) for m in upcoming] == [("broadcast:a", "2026-11-25T09:10:00.000Z"),
                                                             ("broadcast:b", "2026-11-25T09:20:00.000Z")]
    assert pipeline.explain("toison-dor", T0)["scheduled"] == []  # not in dijon-centre
    pipeline.advance(T0 + timedelta(minutes=9, seconds=59))
    assert pipeline.contents["darcy"]["lane"] == "default"
    pipeline.advance(T0 + timedelta(minutes=10))
    assert pipeline.contents["darcy"]["lane"] == "operator"
    assert "Marché de Noël" in pipeline.contents["darcy"]["multi"]
    pipeline.remove_message("broadcast:b", T0 + timedelta(minutes=11), "cancelled")
    pipeline.advance(T0 + timedelta(minutes=70))  # a's end, and b never starts
    assert pipeline.contents["darcy"]["lane"] == "default"
    assert not pipeline.messages and not pipeline.scheduled
    # A broadcast that is already over (a command read again after a restart) is never shown, not even briefly.
    over = market("broadcast:c", T0)
    pipeline.put_message(over, T0 + timedelta(hours=2))
    assert pipeline.contents["darcy"]["lane"] == "default" and not pipeline.messages


def test_a_real_meteo_france_alert_for_other_departements_is_ignored(demo_config: Config) -> None:
    from pathlib import Path

    from signage.feeds import decode_delivery

    body = (Path(__file__).resolve().parents[1] / "fixtures" / "quoted"
            / "meteo-france-cap-snow-ice-excerpt.xml").read_bytes()
    pipeline = Pipeline(demo_config)
    at = datetime(2025, 11, 19, 16, 5, tzinfo=UTC)
    pipeline.start(at)
    result = decode_delivery(demo_config.feeds["cap"], body, at)
    outcome = pipeline.ingest(result.observations, result.alerts, at)
    kinds = [r.kind for r in outcome.records]
    assert "error" not in kinds and "ignored" in kinds
    assert not pipeline.alerts and pipeline.contents["darcy"]["lane"] == "default"


def city_in(departement: str, folder: Path) -> Config:
    """The demo city moved, for its alerts, to another département (its zone codes only)."""
    text = demo_config_path().read_text(encoding="utf-8")
    moved = text.replace('codes: ["NUTS3:FR261", "NUTS3:FRC11", "INSEE_DEP:21"]', f'codes: ["NUTS3:{departement}"]')
    assert moved != text
    (folder / "city.yaml").write_text(moved, encoding="utf-8")
    return load_config(folder / "city.yaml")


def test_a_real_meteo_france_vigilance_shows_in_its_departements_until_it_expires(tmp_path: Path) -> None:
    """Météo-France's yellow thunderstorm vigilance of 2022-08-10 names Haute-Garonne: a city there shows it on
    its signs, in French, from its arrival to its expiry."""
    pipeline = Pipeline(city_in("FR623", tmp_path))
    at = datetime(2022, 8, 10, 14, 13, tzinfo=UTC)
    pipeline.start(at)
    body = (SAMPLES / "cap" / "meteo-france-vigilance-jaune-orages-2022-08-10.xml").read_bytes()
    deliver(pipeline, "cap", body, at)
    assert list(pipeline.alerts) == ["2.49.0.0.250.0.FR.20220810161220.589023"]
    # 22 characters on a 20-character line: the sign's abbreviation table makes it hold on one.
    assert pipeline.contents["darcy"]["multi"] == "[jl3]ALERTE[nl]Vigil jaune orages"
    over = pipeline.advance(datetime(2022, 8, 11, 14, 0, tzinfo=UTC))
    assert pipeline.alerts == {} and pipeline.contents["darcy"]["lane"] == "default"
    # The phones' list of the zone's alerts loses it at the same instant, rather than showing it "until" the past.
    assert [p.data for p in over.publications if p.topic == "alerts/cote-d-or"] == [
        {"zone": "cote-d-or", "alerts": []}]


def test_meteo_france_lifts_a_vigilance_with_an_update_that_expires_as_it_is_sent(tmp_path: Path) -> None:
    """Météo-France's avalanche update of 2022-12-07 (responseType AllClear) ends the vigilance it references in
    Haute-Savoie and shows nothing in its place. The vigilance it ends is not in the samples; it is written here."""
    pipeline = Pipeline(city_in("FR718", tmp_path))
    ended = "2.49.0.0.250.0.FR.20221206160108.315028"
    sent = datetime(2022, 12, 6, 15, 1, 8, tzinfo=UTC)
    pipeline.start(sent)
    deliver(pipeline, "cap", cap_alert(ended, sent, sent + timedelta(days=1), geocode="FR718",
                                       headline_fr="Vigilance jaune avalanches"), sent)
    assert pipeline.contents["darcy"]["lane"] == "alert"
    at = datetime(2022, 12, 7, 5, 2, tzinfo=UTC)
    body = (SAMPLES / "cap" / "meteo-france-vigilance-jaune-avalanches-update-2022-12-07.xml").read_bytes()
    outcome = deliver(pipeline, "cap", body, at)
    assert {r.data["id"]: r.data["reason"] for r in outcome.records if r.kind == "expired"} == {
        f"alert:{ended}": "updated by 2.49.0.0.250.0.FR.20221207060126.964028",
        "alert:2.49.0.0.250.0.FR.20221207060126.964028": "expires before it arrived"}
    assert pipeline.alerts == {} and pipeline.contents["darcy"]["lane"] == "default"


def test_an_all_clear_ends_the_alert_it_names_and_shows_nothing_even_without_expiring(demo_config: Config) -> None:
    """An all-clear (responseType AllClear) that still has hours to run, as Macao's signal-cancelled sends with no
    expiry at all: the vigilance it references ends, and no "ALERTE" about something over takes its place."""
    pipeline = Pipeline(demo_config)
    pipeline.start(T0)
    deliver(pipeline, "cap", cap_alert("A", T0, T0 + timedelta(hours=6)), T0)
    assert pipeline.contents["darcy"]["lane"] == "alert"
    later = T0 + timedelta(minutes=30)
    lifted = cap_alert("B", later, later + timedelta(hours=6), "Update", f"vigilance@meteo.fr,A,{T0.isoformat()}",
                       headline_fr="Fin de vigilance vent violent", response_type="AllClear")
    outcome = deliver(pipeline, "cap", lifted, later)
    assert {r.data["id"]: r.data["reason"] for r in outcome.records if r.kind == "expired"} == {
        "alert:A": "updated by B", "alert:B": "an all-clear: nothing to show"}
    assert pipeline.alerts == {} and pipeline.contents["darcy"]["lane"] == "default"
    assert [p.data for p in outcome.publications if p.topic == "alerts/cote-d-or"] == [
        {"zone": "cote-d-or", "alerts": []}]
