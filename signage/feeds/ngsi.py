"""FIWARE NGSI notifications, v2 and NGSI-LD, in every attribute format they come in.

One normaliser takes NGSI v2 normalized, keyValues and simplified (bare entity) notifications and NGSI-LD
normalized, concise and keyValues ones, and turns each entity into one observation. The Smart Data Models the
engine knows are mapped by default (``DEFAULT_MAPPINGS``); the feed's ``entities`` option adds or overrides a
mapping (a state key pattern and fields → attribute paths). An entity of any other type becomes a generic
observation of all its attributes under ``ngsi/<type>/<id>``, so a rule can use it without new code. An
NGSI-LD deletion (``deletedAt``) becomes ``{"deleted": true}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from signage.feeds.atmo import ATMO_LEVELS
from signage.feeds.base import FeedError, FeedResult, json_body, short_id
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["decode_ngsi"]

# When a reading was made: an interval's end (``dateObservedTo``: a noise level over an hour is known at its end).
_TIME_ATTRIBUTES = ("observedAt", "TimeInstant", "dateObserved", "dateObservedTo", "dateModified")
_PARKING = {"name": "name", "free": "availableSpotNumber", "capacity": "totalSpotNumber",
            "occupied": "occupiedSpotNumber", "occupancy": "occupancy", "status": "status"}
DEFAULT_MAPPINGS: dict[str, dict[str, Any]] = {
    "OffStreetParking": {"key": "parking/{id}", "fields": _PARKING},
    "OnStreetParking": {"key": "parking/{id}", "fields": _PARKING},
    "ParkingSpot": {"key": "parking-spots/{id}", "fields": {"name": "name", "status": "status",
                                                           "site": "refParkingSite", "category": "category"}},
    "AirQualityObserved": {"key": "air/{id}", "fields": {
        "index": "airQualityIndex", "label": "airQualityLevel", "no2": "no2", "o3": "o3", "pm10": "pm10",
        "pm25": "pm25", "so2": "so2", "colour": "airQualityColor"}},
    "NoiseLevelObserved": {"key": "noise/{id}", "fields": {
        "laeq": "LAeq", "lamax": "LAmax", "las": "LAS", "laeq_d": "LAeq_d", "lden": "Lden"}},
    "WasteContainer": {"key": "waste/{id}", "fields": {
        "street": "address.streetAddress", "filling": "fillingLevel", "status": "status",
        "next_collection": "nextActuationDeadline", "last_emptied": "dateLastEmptying"}},
    "Vehicle": {"key": "vehicles/{id}", "fields": {
        "location": "location", "speed": "speed", "bearing": "bearing", "status": "serviceStatus",
        "service": "serviceProvided", "route": "refRoute", "streets": "streetsToVisit"}},
    "TrafficFlowObserved": {"key": "traffic/{id}", "fields": {
        "intensity": "intensity", "occupancy": "occupancy", "speed": "averageVehicleSpeed",
        "congested": "congested", "direction": "laneDirection"}},
    "Alert": {"key": "ngsi-alerts/{id}", "fields": {
        "category": "category", "sub_category": "subCategory", "severity": "severity",
        "description": "description", "valid_from": "validFrom", "valid_to": "validTo"}},
    "WeatherAlert": {"key": "ngsi-alerts/{id}", "fields": {
        "category": "category", "sub_category": "subCategory", "severity": "severity",
        "region": "address.addressRegion", "valid_from": "validFrom", "valid_to": "validTo",
        "source_url": "alertSource"}},
    "Streetlight": {"key": "streetlights/{id}", "fields": {
        "power": "powerState", "status": "status", "group": "refStreetlightGroup"}},
}
# Real producers capitalise enumerations as they please ("Open", "FULL"): values are brought to the model's.
_ENUMS = {
    "status": ["open", "closed", "closedAbnormal", "full", "fullAtEntrance", "almostFull", "spacesAvailable",
               "openingTimesInForce", "free", "occupied", "unknown", "ok", "lidOpen", "dropped", "moved",
               "vandalized", "burning", "parked", "onRoute", "broken", "outOfService", "defectiveLamp",
               "columnIssue", "brokenLantern"],
    "power": ["on", "off", "low", "bootingUp"],
}
_ENUM_LOOKUP = {field: {v.lower(): v for v in values} for field, values in _ENUMS.items()}
_SKIPPED = {"id", "type", "@context"}


def _unwrap(value: Any) -> Any:
    """Plain value of an attribute, whatever the format: ``{"type","value"}``, LD properties, ``@value`` dates."""
    if isinstance(value, dict):
        if "@value" in value:
            return value["@value"]
        if value.get("type") == "Relationship" or ("object" in value and "value" not in value):
            return value.get("object")
        if value.get("type") == "LanguageProperty" or "languageMap" in value:
            return value.get("languageMap")
        if "value" in value:
            return _unwrap(value["value"])
    return value


def _instant(value: Any) -> datetime | None:
    text = _unwrap(value)
    if not isinstance(text, str):
        return None
    if "/" in text:  # an ISO interval "start/end": the reading covers up to its end
        text = text.rsplit("/", 1)[-1]
    try:
        return parse_instant(text, assume_utc=True)
    except ValueError:
        return None


def _attribute_time(attribute: Any) -> datetime | None:
    if not isinstance(attribute, dict):
        return None
    if "observedAt" in attribute:
        return _instant(attribute["observedAt"])
    metadata = attribute.get("metadata")
    if isinstance(metadata, dict):
        for name in ("timestamp", "TimeInstant", "dateModified"):
            if name in metadata:
                return _instant(metadata[name])
    return None


def _from_feature(feature: Any) -> Any:
    """NGSI-LD's GeoJSON representation: the entity's attributes are the feature's properties."""
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        return feature
    return {"id": feature.get("id"), **feature["properties"], "location": feature.get("geometry")}


def _entities(body: Any) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("body"), dict) and "metadata" in body:
        body = body["body"]  # Orion-LD's MQTT envelope
    if (isinstance(body, dict) and body.get("type") == "Subscription") or (
            isinstance(body, dict) and "subject" in body and "notification" in body):
        raise FeedError("this is an NGSI subscription, not a notification: nothing to observe", "type",
                        "not_a_notification")
    if isinstance(body, dict) and body.get("type") == "FeatureCollection":
        return [_from_feature(f) for f in body.get("features") or []]
    if isinstance(body, dict) and body.get("type") == "Feature":
        return [_from_feature(body)]
    if isinstance(body, dict) and "data" in body:
        data = body["data"]
        if not isinstance(data, list):
            raise FeedError("must be a list of entities", "data")
        return data
    if isinstance(body, dict) and "id" in body and "type" in body:
        return [body]  # simplified formats: the bare entity
    if isinstance(body, list):
        return body
    raise FeedError("expected an NGSI notification: an object with data[] or a bare entity with id and type")


def _lookup(entity: Mapping[str, Any], path: str) -> tuple[bool, Any, Any]:
    """Follow ``address.addressLocality``-style paths; returns (found, plain value, the raw attribute).

    An attribute name that differs only in case (``AvailableSpotNumber``) is found too."""
    head, _, rest = path.partition(".")
    if head not in entity:
        head = next((name for name in entity if name.lower() == head.lower()), head)
    if head not in entity:
        return False, None, None
    raw = entity[head]
    value = _unwrap(raw)
    for part in rest.split(".") if rest else ():
        if not isinstance(value, dict) or part not in value:
            return False, None, raw
        value = _unwrap(value[part])
    return True, value, raw


def _atmo_display(fields: dict[str, Any]) -> None:
    """With the indice ATMO scale: the national label and colour, unless the producer gave its own."""
    index = fields.get("index")
    if isinstance(index, int) and not isinstance(index, bool) and index in ATMO_LEVELS:
        label, colour = ATMO_LEVELS[index]
        fields.setdefault("label", label)
        if not fields.get("colour"):
            fields["colour"] = colour


def decode_ngsi(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    document = json_body(body)
    mappings: Mapping[str, Any] = {**DEFAULT_MAPPINGS, **(feed.options.get("entities") or {})}
    result = FeedResult()
    for index, entity in enumerate(_entities(document)):
        where = f"data[{index}]"
        if not isinstance(entity, dict):
            raise FeedError("must be an entity object", where)
        entity_id, entity_type = entity.get("id"), entity.get("type")
        if not isinstance(entity_id, str) or not entity_id:
            raise FeedError("is missing or not text", f"{where}.id")
        if not isinstance(entity_type, str) or not entity_type:
            raise FeedError("is missing or not text", f"{where}.type")
        mapping = mappings.get(entity_type) or {
            "key": f"ngsi/{short_id(entity_type)}/{{id}}",
            "fields": {name: name for name in entity if name not in _SKIPPED and not name.startswith("@")},
        }
        key = str(mapping["key"]).replace("{id}", short_id(entity_id))
        if "deletedAt" in entity:
            deleted_at = _instant(entity["deletedAt"]) or received_at
            result.observations.append(Observation(key, {"deleted": True}, deleted_at, feed.id))
            continue
        fields: dict[str, Any] = {}
        times: list[datetime] = []
        for name, attribute in mapping["fields"].items():
            found, value, raw = _lookup(entity, attribute)
            if found:
                if isinstance(value, str) and name in _ENUM_LOOKUP:
                    value = _ENUM_LOOKUP[name].get(value.strip().lower(), value)
                fields[name] = value
                if (at := _attribute_time(raw)) is not None:
                    times.append(at)
        if not fields:
            # Producers send other attributes than the model's (the current WasteContainer example has an
            # Indian smart bin's): keep them as they are rather than lose the delivery.
            fields = {name: _unwrap(value) for name, value in entity.items()
                      if name not in _SKIPPED and not name.startswith("@")}
            result.ignored.append(f"{where}: {entity_id!r} carries none of the {entity_type} fields the engine "
                                  f"maps; its attributes are kept as they are")
        if not times:
            times = [t for name in _TIME_ATTRIBUTES if name in entity and (t := _instant(entity[name]))]
        if entity_type == "AirQualityObserved" and feed.options.get("index_scale") == "atmo":
            _atmo_display(fields)
        observed_at = max(times) if times else received_at
        result.observations.append(Observation(key, fields, observed_at, feed.id))
    return result
