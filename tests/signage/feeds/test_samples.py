"""Every sample in tests/fixtures/samples (but SOURCES.md) goes through its adapter, byte for byte, and gives what a
person reading it would expect; the negative and quirky ones get a clear reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signage.feeds import FeedError, decode_delivery
from signage.model import FeedConfig
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
FORMATS = {"ngsi": "ngsi-v2", "siri": "siri", "parking": "datex2", "atmo": "atmo", "cap": "cap", "gtfs-rt": "gtfs-rt"}


def body_of(path: Path) -> bytes:
    raw = path.read_bytes()
    if path.suffix != ".txt":
        return raw
    # The .expected.txt files are a broker test harness's dumps: a title, HTTP headers, then the JSON body.
    lines = raw.decode().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("{"))
    last = max(i for i, line in enumerate(lines) if line.startswith("}"))
    return "\n".join(lines[first:last + 1]).encode()


def decode(relative: str, **options: Any) -> dict[str, dict[str, Any]]:
    path = SAMPLES / relative
    feed = FeedConfig("sample", FORMATS[relative.split("/")[0]], timedelta(minutes=10), options)
    return {o.key: dict(o.value) for o in decode_delivery(feed, body_of(path), NOW).observations}


EXPECTED: dict[str, dict[str, dict[str, Any]]] = {
    "ngsi/AirQualityObserved/example.json": {
        "air/madrid-ambientobserved-28079004-2016-03-15t11-00-00": {"index": 65, "label": "moderate", "so2": 11}},
    "ngsi/AirQualityObserved/example-normalized.json": {
        "air/madrid-ambientobserved-28079004-2016-03-15t11-00-00": {"index": 65, "no2": 69}},
    "ngsi/AirQualityObserved/example-normalized.jsonld": {
        "air/madrid-ambientobserved-28079004-2016-03-15t11-00-00": {"index": 65, "no2": 69}},
    "ngsi/Alert/example.json": {"ngsi-alerts/alert-1": {"category": "traffic", "sub_category": "trafficJam",
                                                   "severity": "high"}},
    "ngsi/Alert/example-normalized.json": {"ngsi-alerts/alert-1": {"valid_to": "2017-01-02T10:25:55.00Z"}},
    "ngsi/Alert/example-normalized.jsonld": {"ngsi-alerts/alert-1": {"description": "The road is completely blocked "
                                                                              "for 3kms"}},
    "ngsi/OffStreetParking/example.json": {"parking/porto-parkinglot-23889": {"free": 132, "capacity": 414}},
    "ngsi/OffStreetParking/example-normalized.json": {"parking/porto-parkinglot-23889": {"occupancy": 0.68}},
    "ngsi/OffStreetParking/example-normalized.jsonld": {"parking/porto-parkinglot-23889": {"occupied": 282}},
    "ngsi/OnStreetParking/example.json": {"parking/santander-daoiz_velarde_1_5": {"free": 3, "capacity": 6}},
    "ngsi/OnStreetParking/example-normalized.json": {"parking/santander-daoiz_velarde_1_5": {"free": 3}},
    "ngsi/OnStreetParking/example-normalized.jsonld": {"parking/santander-daoiz_velarde_1_5": {"occupied": 3}},
    "ngsi/ParkingSpot/example.json": {"parking-spots/santander-daoiz_velarde_1_5-3": {"name": "A-13",
                                                                                      "status": "free"}},
    "ngsi/ParkingSpot/example-normalized.json": {"parking-spots/santander-daoiz_velarde_1_5-3": {"status": "free"}},
    "ngsi/ParkingSpot/example-normalized.jsonld": {"parking-spots/santander-daoiz_velarde_1_5-3": {"status": "free"}},
    "ngsi/Streetlight/example.json": {"streetlights/streetlight-guadalajara-4567": {"power": "off", "status": "ok"}},
    "ngsi/NoiseLevelObserved/example.json": {
        "noise/vitoria-noiselevelobserved-2016-12-28t11-00-00_2016-12-28t12-00-00": {"laeq": 67.8, "lamax": 94.5}},
    "ngsi/Streetlight/example-normalized.json": {"streetlights/streetlight-guadalajara-4567": {"power": "off"}},
    "ngsi/Streetlight/example-normalized.jsonld": {"streetlights/streetlight-guadalajara-4567": {"status": "ok"}},
    "ngsi/TrafficFlowObserved/example.json": {
        "traffic/trafficflowobserved-valladolid-osm-60821110": {"intensity": 197, "occupancy": 0.76}},
    "ngsi/TrafficFlowObserved/example-normalized.json": {
        "traffic/trafficflowobserved-valladolid-osm-60821110": {"speed": 52.6, "direction": "forward"}},
    "ngsi/TrafficFlowObserved/example-normalized.jsonld": {
        "traffic/trafficflowobserved-valladolid-osm-60821110": {"intensity": 197}},
    "ngsi/Vehicle/example.json": {"vehicles/vehicle-wastemanagement-1": {"status": "onRoute", "bearing": 43}},
    "ngsi/Vehicle/example-normalized.json": {"vehicles/vehicle-wastemanagement-1": {"speed": 50}},
    "ngsi/Vehicle/example-normalized.jsonld": {"vehicles/vehicle-wastemanagement-1": {"status": "onRoute"}},
    # The GeoJSON feature and the 2021 model carry the fields the engine maps...
    "ngsi/WasteContainer/example-geojsonfeature.json": {"waste/wastecontainer-fleming-12a": {"filling": 0.4,
                                                                                             "status": "ok"}},
    "ngsi/WasteContainer/example-v1-2021-fillingLevel.json": {"waste/wastecontainer-fleming-12a": {
        "filling": 0.4, "next_collection": "2016-06-28T15:05:59.408Z"}},
    "ngsi/WasteContainer/example-v1-2021-fillingLevel-normalized.jsonld": {
        "waste/wastecontainer-fleming-12a": {"filling": 0.4}},
    # ...the current one an Indian smart bin's instead: kept as they are, nothing lost.
    "ngsi/WasteContainer/example.json": {"waste/1021-aawd": {"binCapacity": 43, "binColor": "Green"}},
    "ngsi/WasteContainer/example-normalized.json": {"waste/1021-aawd": {"binColor": "Green"}},
    "ngsi/WasteContainer/example-normalized.jsonld": {"waste/1021-aawd": {"binColor": "Green"}},
    "ngsi/WeatherAlert/example.json": {"ngsi-alerts/weatheralert-83b872975414bfca10832e564a1bb416-7": {
        "sub_category": "snow_ice", "region": "Huesca"}},
    "ngsi/WeatherAlert/example-normalized.json": {"ngsi-alerts/weatheralert-83b872975414bfca10832e564a1bb416-7": {
        "severity": "medium"}},
    # The LD example's id starts "uri:ngsi-ld:", a typo seen in the wild: the same key all the same.
    "ngsi/WeatherAlert/example-normalized.jsonld": {
        "ngsi-alerts/weatheralert-83b872975414bfca10832e564a1bb416-7": {"category": "weather"}},
    "ngsi/notifications/ngsi-ld-notification-data-showChanges-previousValue.etsi.json": {
        "ngsi/building/046_31": {"name": "Tour Eiffel", "street": {"fr": "Grand Place", "nl": "Grote Markt"}}},
    "ngsi/notifications/ngsi-ld-notification-offstreetparking.cygnus.json": {
        "parking/downtown1": {"free": 122, "capacity": 200, "name": "Downtown One"}},
    "ngsi/notifications/orion-v2-notification-keyValues.json": {"ngsi/room/room1": {"temperature": 23,
                                                                                     "humidity": 70}},
    "ngsi/notifications/orion-v2-notification-normalized.json": {"ngsi/room/room1": {"temperature": 23}},
    "ngsi/notifications/orion-v2-notification-simplifiedNormalized.json": {"ngsi/room/room1": {"humidity": 70}},
    "ngsi/notifications/orion-v2-http-notification.expected.txt": {"ngsi/t/e1": {"A": 1, "C": 3}},
    "ngsi/notifications/orionld-http-notification-entityDeleted.expected.txt": {
        "ngsi/t1/e1": {"deleted": True}, "ngsi/t1/e3": {"deleted": True}},
    "ngsi/notifications/orionld-mqtt-notification.expected.txt": {"air/mqtt1": {"temperature": 21}},
    "siri/exs_stopMonitoring_response_simple.xml": {"departures/hltst011": {"stop": "HLTST011", "name": None}},
    "siri/exm_generalMessage_response.xml": {
        "messages/00034567": {"content": "Beware the Ides of March", "active": True, "channel": "WARNINGS"},
        "messages/00034564": {"active": False}},
    "siri/exx_situationExchange_response.xml": {
        "situations/railco01-000354": {"summary": "Bomb at Barchester station", "severity": "severe",
                                       "stops": ["BAAR0003"], "active": True},
        "situations/railco01-000354-road": {"kind": "road"}},
    "siri/exf_facilityMonitoring_response.xml": {
        "facilities/134567-l4": {"status": "notAvailable", "detail": "Lift Broken", "available": False}},
    "parking/datex2-frankfurt-ParkingFacilityTableStatusPublication.xml": {
        "parking/18497": {"name": "Hauptwache", "free": 193, "capacity": 426, "status": "open"},
        "parking/1": {"name": "Anlagenring", "free": 480, "occupancy": 0.2026578}},
    # DATEX II v3: occupancy is a percentage (a ratio here), the counts are the site's, the status the producer's.
    "parking/ndw-truckparking-status-datex2v3-2026-07-24.xml": {
        "parking/nl-12_408": {"reference": "NL-12_408", "free": 29, "occupied": 17, "occupancy": 0.54,
                              "status": "spacesAvailable"},
        "parking/nl-12_414": {"free": 0, "occupancy": 0.83333336, "status": "full"},
        "parking/nl-12_413": {"free": None, "occupied": None, "occupancy": None, "status": "unknown"},
        "parking/nl-12_8": {"free": 326, "occupied": 4, "occupancy": None}},  # the producer's -30 % is no share
    "atmo/gwadair-indice-atmo-arcgis-excerpt.json": {
        "air/97101": {"index": 1, "label": "Bon", "colour": "#50F0E6", "zone_name": "Les Abymes",
                      "valid_for": "2025-11-08", "source": "Gwad'Air"}},
}

REFUSED = {
    "siri/exs_stopMonitoring_request_simple.xml": "a SIRI request, not a delivery",
    "ngsi/notifications/orion-v2-subscription-create.json": "an NGSI subscription, not a notification",
    "ngsi/notifications/ngsi-ld-subscription-showChanges.etsi.jsonld": "an NGSI subscription",
    "ngsi/notifications/ngsi-ld-subscription-watchedAttributes-q.etsi.jsonld": "an NGSI subscription",
}
TESTED_ELSEWHERE = {  # whole tests of their own in test_cap.py and test_gtfs_rt.py, unless said
    "cap/oasis-cap12-a2-severe-thunderstorm.xml", "cap/oasis-cap12-a4-amber-alert-en-es.xml",
    "cap/meteo-france-vigilance-jaune-orages-2022-08-10.xml", "cap/dwd-starkes-gewitter-update-2022-08-26.xml",
    "cap/meteo-france-vigilance-jaune-avalanches-update-2022-12-07.xml",
    "cap/ims-israel-flash-floods-2025-03-06.xml", "cap/smg-macao-monsoon-signal-cancelled-2025-04-13.xml",
    "cap/meteoalarm-legacy-atom-france-2022-12-08.xml",  # in test_atom.py and test_feed_runners.py
    "gtfs-rt/bibus-brest-gtfs-rt-alerts.pb", "gtfs-rt/gtfs-realtime-bindings-vehicle_position.pb",
    "gtfs-rt/google-transit-example-alerts.asciipb", "gtfs-rt/google-transit-example-trip-updates-full.asciipb",
}


def test_every_sample_is_covered() -> None:
    files = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert files == set(EXPECTED) | set(REFUSED) | TESTED_ELSEWHERE


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_sample_gives_the_expected_observations(relative: str) -> None:
    observations = decode(relative)
    for key, fields in EXPECTED[relative].items():
        assert key in observations, f"{key} not in {sorted(observations)}"
        assert {k: observations[key].get(k) for k in fields} == fields


@pytest.mark.parametrize("relative", sorted(REFUSED))
def test_what_is_not_a_delivery_is_refused_with_a_reason(relative: str) -> None:
    with pytest.raises(FeedError) as caught:
        decode(relative)
    assert REFUSED[relative] in caught.value.reason


def test_stop_monitoring_lists_departures_with_their_times() -> None:
    board = decode("siri/exs_stopMonitoring_response_simple.xml")["departures/hltst011"]
    assert [(d["line"], d["destination"], d["expected"]) for d in board["departures"]] == [
        ("123", "Paradise Park", "2004-12-17T09:40:47-05:00"), ("128", None, None)]
    assert board["departures"][1]["at_stop"] is True
    assert board["notices"] == [{"line": "123", "note": "Happy Easter to all our customers!?"}]


def test_siri_lite_json_gives_the_same_as_xml() -> None:
    lite = (b'{"Siri": {"ServiceDelivery": {"ResponseTimestamp": "2026-11-25T08:00:00Z", "StopMonitoringDelivery": '
            b'[{"MonitoredStopVisit": [{"MonitoringRef": {"value": "DARCY"}, "MonitoredVehicleJourney": '
            b'{"LineRef": {"value": "T1"}, "DestinationName": [{"value": "Quetigny"}], "MonitoredCall": '
            b'{"ExpectedDepartureTime": "2026-11-25T08:04:00Z"}}}]}]}}}')
    feed = FeedConfig("siri", "siri", timedelta(minutes=5), {})
    [observation] = decode_delivery(feed, lite, NOW).observations
    assert observation.key == "departures/darcy"
    assert observation.value["departures"][0] == {"line": "T1", "destination": "Quetigny", "aimed": None,
                                                  "expected": "2026-11-25T08:04:00Z", "actual": None,
                                                  "at_stop": False, "status": None}


def test_atmo_zones_option_names_the_key_and_keeps_the_producers_colour() -> None:
    observations = decode("atmo/gwadair-indice-atmo-arcgis-excerpt.json", zones={"97101": "les-abymes"})
    assert list(observations) == ["air/les-abymes"]


@pytest.mark.parametrize("relative", ["siri/exm_generalMessage_response.xml",
                                      "parking/datex2-frankfurt-ParkingFacilityTableStatusPublication.xml"])
def test_xml_with_an_external_entity_is_refused(relative: str) -> None:
    hostile = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               + (SAMPLES / relative).read_bytes().split(b"?>", 1)[1].replace(b"<ProducerRef>", b"<ProducerRef>&e;"))
    feed = FeedConfig("x", FORMATS[relative.split("/")[0]], timedelta(minutes=5), {})
    with pytest.raises(FeedError) as caught:
        decode_delivery(feed, hostile, NOW)
    assert caught.value.code == "forbidden_xml"


def test_a_datex2_v3_site_status_is_observed_when_its_producer_says_and_its_impossible_values_are_named() -> None:
    path = SAMPLES / "parking" / "ndw-truckparking-status-datex2v3-2026-07-24.xml"
    feed = FeedConfig("ndw", "datex2", timedelta(minutes=10))
    result = decode_delivery(feed, path.read_bytes(), NOW)
    observations = {o.key: o for o in result.observations}
    assert len(observations) == 8
    assert observations["parking/nl-12_408"].observed_at == datetime(2026, 7, 24, 19, 46, 24, 805427, tzinfo=UTC)
    assert result.ignored == ["parkingRecordStatus[NL-12_8]: parkingOccupancy -30 is not possible; left out"]


def test_a_datex2_v3_exchange_container_is_read_like_its_payload() -> None:
    payload = (SAMPLES / "parking" / "ndw-truckparking-status-datex2v3-2026-07-24.xml").read_bytes()
    container = (b'<mc:messageContainer xmlns:mc="http://datex2.eu/schema/3/messageContainer" modelBaseVersion="3">'
                 + payload.split(b"?>", 1)[1] + b"</mc:messageContainer>")
    feed = FeedConfig("ndw", "datex2", timedelta(minutes=10))
    assert decode_delivery(feed, container, NOW).observations == decode_delivery(feed, payload, NOW).observations
