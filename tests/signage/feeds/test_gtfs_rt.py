"""GTFS-Realtime alerts: the real Bibus (Brest) feed and the official bindings fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signage.demo.payloads import gtfs_rt_alerts
from signage.feeds import FeedError, decode_delivery
from signage.model import FeedConfig
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_real_french_feed_gives_the_disruption_of_each_line() -> None:
    body = (SAMPLES / "gtfs-rt" / "bibus-brest-gtfs-rt-alerts.pb").read_bytes()
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["45", "99"]})
    result = decode_delivery(feed, body, NOW)
    by_key = {o.key: o for o in result.observations}
    assert set(by_key) == {"transit/45", "transit/99"}
    line_45 = by_key["transit/45"].value
    assert line_45["disrupted"] is True
    assert line_45["header"] == "L 45 Prolongation des travaux rue de Kermaria jusqu'au 24/12"
    assert line_45["disruptions"][0]["effect"] == "DETOUR"
    assert by_key["transit/99"].value["disrupted"] is False
    assert by_key["transit/45"].observed_at == datetime(2021, 12, 16, 15, 29, 2, tzinfo=UTC)
    assert any("not in the feed's routes" in reason for reason in result.ignored)


def test_vehicle_positions_say_nothing_of_disruptions() -> None:
    """A producer sending positions and alerts as separate messages on one feed: the positions, arriving after
    an alert, must not end it (nor say "no disruption" for every line)."""
    body = (SAMPLES / "gtfs-rt" / "gtfs-realtime-bindings-vehicle_position.pb").read_bytes()
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["T1", "T2"]})
    observations = {o.key: o for o in decode_delivery(feed, body, NOW).observations}
    assert not [key for key in observations if key.startswith("transit/")]
    vehicle = observations["vehicles/1"].value
    assert (vehicle["trip"], vehicle["lat"], vehicle["lon"]) == ("t0", 47.0, -122.0)
    assert "speed" not in vehicle  # French producers publish it in the wrong unit


def test_trip_updates_of_the_specification_example_in_text_format() -> None:
    body = (SAMPLES / "gtfs-rt" / "google-transit-example-trip-updates-full.asciipb").read_bytes()
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {})
    trips = {o.key: o.value for o in decode_delivery(feed, body, NOW).observations}
    assert set(trips) == {"trips/trip-1", "trips/frequency-expanded-trip"}
    assert trips["trips/trip-1"]["delay_s"] == 5
    assert [s["sequence"] for s in trips["trips/trip-1"]["stops"]] == [3, 8, 10]
    assert trips["trips/frequency-expanded-trip"]["delay_s"] == -2


def test_alerts_of_the_specification_example_in_text_format() -> None:
    body = (SAMPLES / "gtfs-rt" / "google-transit-example-alerts.asciipb").read_bytes()
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {})
    lines = {o.key: o.value for o in decode_delivery(feed, body, NOW).observations}
    assert set(lines) == {"transit/219", "transit/100"}
    assert lines["transit/219"]["header"] == "Stop at Elm street is closed, temporary stop at Oak street"
    assert lines["transit/219"]["disruptions"][0]["effect"] == "DETOUR"


def test_alerts_outside_their_active_period_are_not_current() -> None:
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["T1"]})
    [observation] = decode_delivery(feed, gtfs_rt_alerts({"T1": "Travaux"}, NOW), NOW).observations
    assert observation.value["disrupted"] is True


def test_bytes_that_are_not_protobuf_are_refused() -> None:
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {})
    with pytest.raises(FeedError) as caught:
        decode_delivery(feed, b"\xff\xff\xff\xff not protobuf", NOW)
    assert caught.value.where == "protobuf"


def test_an_empty_full_dataset_of_alerts_says_every_line_runs_normally() -> None:
    from google.transit import gtfs_realtime_pb2

    empty = gtfs_realtime_pb2.FeedMessage()
    empty.header.gtfs_realtime_version = "2.0"
    empty.header.timestamp = int(NOW.timestamp())
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["45"]})
    observations = {o.key: o for o in decode_delivery(feed, empty.SerializeToString(), NOW).observations}
    assert observations["transit/45"].value["disrupted"] is False


def test_an_alert_naming_one_line_at_two_stops_counts_once() -> None:
    from google.transit import gtfs_realtime_pb2

    message = gtfs_realtime_pb2.FeedMessage()
    message.ParseFromString((SAMPLES / "gtfs-rt" / "bibus-brest-gtfs-rt-alerts.pb").read_bytes())
    works = next(e for e in message.entity if e.alert.informed_entity[0].route_id == "45")
    for stop in ("KERMARIA", "PONTANIOU"):  # the real alert, as producers write it: one entity per stop served
        informed = works.alert.informed_entity.add()
        informed.route_id, informed.stop_id = "45", stop
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["45"]})
    line = next(o for o in decode_delivery(feed, message.SerializeToString(), NOW).observations
                if o.key == "transit/45")
    assert [d["id"] for d in line.value["disruptions"]] == [works.id]


def test_trip_updates_with_times_give_the_next_departures_at_each_stop() -> None:
    """No public sample gives absolute times (the specification's example gives delays only), so the message is
    built here with the official bindings, as a producer's would be."""
    from google.transit import gtfs_realtime_pb2

    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = int(NOW.timestamp())
    for trip, route, headsign, minutes in (("t1-0810", "T1", "Quetigny Centre", 9), ("t2-0804", "T2", "", 4),
                                           ("t1-0820", "T1", "Quetigny Centre", 19)):
        entity = message.entity.add(id=trip)
        entity.trip_update.trip.trip_id = trip
        entity.trip_update.trip.route_id = route
        if headsign:
            entity.trip_update.trip_properties.trip_headsign = headsign
        update = entity.trip_update.stop_time_update.add(stop_id="DARCY", stop_sequence=5)
        update.departure.time = int((NOW + timedelta(minutes=minutes)).timestamp())
        entity.trip_update.stop_time_update.add(stop_id="GARE", stop_sequence=6).arrival.delay = 30  # a delay only
        skipped = entity.trip_update.stop_time_update.add(stop_id="CHU", stop_sequence=7)
        skipped.schedule_relationship = 1  # SKIPPED: no departure there
        skipped.departure.time = int((NOW + timedelta(minutes=minutes + 5)).timestamp())
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {})
    observations = {o.key: o.value for o in decode_delivery(feed, message.SerializeToString(), NOW).observations}
    darcy = observations["departures/darcy"]
    assert [(d["line"], d["destination"], d["expected"]) for d in darcy["departures"]] == [
        ("T2", None, "2026-11-25T08:04:00.000Z"), ("T1", "Quetigny Centre", "2026-11-25T08:09:00.000Z"),
        ("T1", "Quetigny Centre", "2026-11-25T08:19:00.000Z")]
    assert "departures/gare" not in observations and "departures/chu" not in observations
    assert not [key for key in observations if key.startswith("transit/")]  # nothing said of disruptions


def test_departures_carry_the_stop_names_of_the_static_gtfs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from google.transit import gtfs_realtime_pb2

    from signage.config import ConfigInvalid, demo_config_path, load_config

    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = int(NOW.timestamp())
    entity = message.entity.add(id="t1-0810")
    entity.trip_update.trip.trip_id, entity.trip_update.trip.route_id = "t1-0810", "T1"
    entity.trip_update.stop_time_update.add(stop_id="1467", stop_sequence=5).departure.time = int(NOW.timestamp()) + 300
    text = demo_config_path().read_text(encoding="utf-8").replace(
        "    routes: [T1, T2]\n", "    routes: [T1, T2]\n    stops_file: stops.txt\n")
    (tmp_path / "city.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "stops.txt").write_text("\ufeffstop_id,stop_code,stop_name,stop_lat,stop_lon\n"
                                        "1467,,Darcy,47.3225,5.0339\n1502,,\"Godrans, Les Halles\",47.32,5.04\n",
                                        encoding="utf-8")
    feed = load_config(tmp_path / "city.yaml").feeds["gtfs-rt"]
    assert feed.options["stop_names"] == {"1467": "Darcy", "1502": "Godrans, Les Halles"}
    darcy = next(o for o in decode_delivery(feed, message.SerializeToString(), NOW).observations
                 if o.key == "departures/1467")
    assert darcy.value["name"] == "Darcy" and darcy.value["stop"] == "1467"
    (tmp_path / "stops.txt").write_text("id,name\n1467,Darcy\n", encoding="utf-8")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(tmp_path / "city.yaml")
    assert "feeds[3].stops_file: " in str(caught.value) and "stop_id and stop_name" in str(caught.value)
