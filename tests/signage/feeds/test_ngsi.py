"""NGSI v2 and NGSI-LD notifications, read byte for byte from the shared samples."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signage.feeds import FeedError, decode_delivery
from signage.model import FeedConfig
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
NGSI = SAMPLES / "ngsi"


def feed(entities: Mapping[str, Any]) -> FeedConfig:
    return FeedConfig("ngsi", "ngsi-v2", timedelta(minutes=10), {"entities": entities})


PARKING = {"OffStreetParking": {"key": "parking/{id}", "fields": {
    "free": "availableSpotNumber", "capacity": "totalSpotNumber", "name": "name"}}}


def test_orion_v2_normalized_notification_of_the_real_sample() -> None:
    body = (NGSI / "notifications" / "orion-v2-notification-normalized.json").read_bytes()
    sample = json.loads(body)
    entity = sample["data"][0]
    mapping = {entity["type"]: {"key": "room/{id}", "fields": {k: k for k in entity if k not in ("id", "type")}}}
    result = decode_delivery(feed(mapping), body, NOW)
    assert len(result.observations) == 1
    observation = result.observations[0]
    assert observation.key.startswith("room/")
    assert {k: v["value"] for k, v in entity.items() if isinstance(v, dict) and "value" in v} == dict(
        observation.value)


def test_orion_v2_key_values_and_simplified_formats() -> None:
    key_values = (NGSI / "notifications" / "orion-v2-notification-keyValues.json").read_bytes()
    simplified = (NGSI / "notifications" / "orion-v2-notification-simplifiedNormalized.json").read_bytes()
    mapping = {"Room": {"key": "room/{id}", "fields": {"temperature": "temperature"}}}
    first = decode_delivery(feed(mapping), key_values, NOW).observations
    assert [(o.key, dict(o.value)) for o in first] == [("room/room1", {"temperature": 23})]
    second = decode_delivery(feed(mapping), simplified, NOW).observations
    assert [o.key for o in second] == ["room/room1"]
    assert isinstance(second[0].value["temperature"], int | float)


def test_ngsi_ld_parking_notification_takes_observed_at() -> None:
    body = (NGSI / "notifications" / "ngsi-ld-notification-offstreetparking.cygnus.json").read_bytes()
    result = decode_delivery(feed(PARKING), body, NOW)
    [observation] = result.observations
    assert observation.key == "parking/downtown1"
    assert dict(observation.value) == {"free": 122, "capacity": 200, "name": "Downtown One"}
    assert observation.observed_at == datetime(2017, 7, 29, 12, 5, 2, tzinfo=UTC)


@pytest.mark.parametrize("shape", ["example.json", "example-normalized.json", "example-normalized.jsonld"])
def test_the_same_smart_data_model_entity_in_all_three_shapes(shape: str) -> None:
    body = (NGSI / "OffStreetParking" / shape).read_bytes()
    [observation] = decode_delivery(feed(PARKING), body, NOW).observations
    assert (observation.key, observation.value["free"], observation.value["capacity"]) == (
        "parking/porto-parkinglot-23889", 132, 414)
    if shape != "example.json":
        assert observation.observed_at == datetime(2018, 9, 21, 12, 0, tzinfo=UTC)
    else:  # keyValues carries no per-attribute time: the entity's dateModified stands in
        assert observation.observed_at == datetime(2018, 9, 21, 12, 0, 5, tzinfo=UTC)


def test_entities_of_other_types_become_generic_observations() -> None:
    body = (NGSI / "notifications" / "ngsi-ld-notification-data-showChanges-previousValue.etsi.json").read_bytes()
    [observation] = decode_delivery(feed(PARKING), body, NOW).observations
    assert observation.key == "ngsi/building/046_31"
    assert observation.value["name"] == "Tour Eiffel"
    assert observation.value["street"] == {"fr": "Grand Place", "nl": "Grote Markt"}
    assert observation.value["locatedAt"] == "urn:ngsi-ld:City:Paris"


@pytest.mark.parametrize(("body", "where"), [
    (b"{not json", ""),
    (b'{"data": {"id": 1}}', "data"),
    (b'{"data": [{"type": "OffStreetParking"}]}', "data[0].id"),
    (b'{"data": [{"id": "x", "type": 7}]}', "data[0].type"),
    (b'"just text"', ""),
])
def test_bad_notifications_get_a_reason_that_names_the_field(body: bytes, where: str) -> None:
    with pytest.raises(FeedError) as caught:
        decode_delivery(feed(PARKING), body, NOW)
    assert caught.value.where == where
    assert caught.value.reason


def test_capitalisation_variants_real_cities_send_are_understood() -> None:
    body = json.dumps({"subscriptionId": "x", "data": [{
        "id": "urn:ngsi-ld:OffStreetParking:dijon:Darcy", "type": "OffStreetParking",
        "AvailableSpotNumber": {"type": "Number", "value": 0}, "TotalSpotNumber": {"type": "Number", "value": 567},
        "status": {"type": "Text", "value": "FULL"}}]}).encode()
    [observation] = decode_delivery(FeedConfig("ngsi", "ngsi-v2", timedelta(minutes=10), {}), body, NOW).observations
    assert observation.key == "parking/dijon-darcy"
    assert dict(observation.value) == {"free": 0, "capacity": 567, "status": "full"}


def test_the_indice_atmo_scale_adds_national_colours_unless_the_producer_gave_one() -> None:
    from signage.demo.payloads import air_quality_notification

    feed = FeedConfig("atmo", "ngsi-v2", timedelta(hours=26), {"index_scale": "atmo"})
    [observation] = decode_delivery(feed, air_quality_notification(4, NOW), NOW).observations
    assert (observation.value["index"], observation.value["label"], observation.value["colour"]) == (
        4, "Mauvais", "#FF5050")
    body = json.dumps({"data": [{"id": "urn:ngsi-ld:AirQualityObserved:x", "type": "AirQualityObserved",
                                 "airQualityIndex": 6, "airQualityColor": "#7D2181"}]}).encode()
    [observation] = decode_delivery(feed, body, NOW).observations
    assert observation.value["colour"] == "#7D2181" and observation.value["label"] == "Extrêmement mauvais"


def test_a_noise_level_is_observed_at_the_end_of_its_interval() -> None:
    """The Smart Data Model's example: an hour of Vitoria-Gasteiz's noise, measured 11:00 to 12:00."""
    entity = json.loads((NGSI / "NoiseLevelObserved" / "example.json").read_bytes())
    body = json.dumps({"subscriptionId": "s", "data": [entity]}).encode()
    result = decode_delivery(FeedConfig("ngsi", "ngsi-v2", timedelta(minutes=90), {}), body, NOW)
    (noise,) = result.observations
    assert noise.key == "noise/vitoria-noiselevelobserved-2016-12-28t11-00-00_2016-12-28t12-00-00"
    assert noise.observed_at == datetime(2016, 12, 28, 12, 0, tzinfo=UTC)  # not when it was received
    assert noise.value == {"laeq": 67.8, "lamax": 94.5, "las": 91.6, "laeq_d": 65.4}
