"""FIWARE NGSI notifications, v2 and NGSI-LD, in every attribute format they come in.

One normaliser takes NGSI v2 normalized, keyValues and simplified (bare entity) notifications and NGSI-LD
normalized, concise and keyValues ones, and turns each mapped entity into one observation. The feed's
``entities`` option maps an entity type to a state key pattern and fields to attribute names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from signage.feeds.base import FeedError, FeedResult, short_id
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["decode_ngsi"]

_TIME_ATTRIBUTES = ("observedAt", "TimeInstant", "dateObserved", "dateModified")


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


def _entities(body: Any) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("body"), dict) and "metadata" in body:
        body = body["body"]  # Orion-LD's MQTT envelope
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
    """Follow ``address.addressLocality``-style paths; returns (found, plain value, the raw attribute)."""
    head, _, rest = path.partition(".")
    if head not in entity:
        return False, None, None
    raw = entity[head]
    value = _unwrap(raw)
    for part in rest.split(".") if rest else ():
        if not isinstance(value, dict) or part not in value:
            return False, None, raw
        value = _unwrap(value[part])
    return True, value, raw


def decode_ngsi(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"body is not JSON ({exc})") from exc
    mappings: Mapping[str, Any] = feed.options.get("entities") or {}
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
        mapping = mappings.get(entity_type)
        if mapping is None:
            result.ignored.append(f"{where}: entity type {entity_type!r} is not mapped")
            continue
        if "deletedAt" in entity and len(entity) <= 4:
            result.ignored.append(f"{where}: deletion of {entity_id!r}")
            continue
        fields: dict[str, Any] = {}
        times: list[datetime] = []
        for name, attribute in mapping["fields"].items():
            found, value, raw = _lookup(entity, attribute)
            if found:
                fields[name] = value
                if (at := _attribute_time(raw)) is not None:
                    times.append(at)
        if not fields:
            result.ignored.append(f"{where}: {entity_id!r} carries none of the mapped attributes")
            continue
        if not times:
            times = [t for name in _TIME_ATTRIBUTES if name in entity and (t := _instant(entity[name]))]
        observed_at = max(times) if times else received_at
        key = str(mapping["key"]).replace("{id}", short_id(entity_id))
        result.observations.append(Observation(key, fields, observed_at, feed.id))
    return result
