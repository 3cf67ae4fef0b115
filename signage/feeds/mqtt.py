"""MQTT messages (topic and payload) into observations: JSON, UltraLight 2.0, or an NGSI notification.

The feed's ``topics`` option lists subscription patterns with wildcards (``dijon/parking/+/free``); ``key``
names the state key, where ``{id}`` is the topic level the first wildcard matched and ``{1}``, ``{2}``… any
level (1-based). ``fields`` maps names to attributes (JSON paths or UltraLight keys); without it every
attribute is kept. ``payload`` forces ``json``, ``ultralight`` or ``ngsi`` (Orion's MQTT notifications);
by default it is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from signage.feeds.base import FeedError, FeedResult, dotted, json_body, short_id
from signage.feeds.ngsi import decode_ngsi
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["decode_mqtt", "topic_matches"]


def topic_matches(pattern: str, topic: str) -> list[str] | None:
    """The levels the wildcards matched, or None: ``+`` is one level, ``#`` the rest (MQTT 3.1.1 §4.7)."""
    wanted, levels = pattern.split("/"), topic.split("/")
    matched: list[str] = []
    for index, part in enumerate(wanted):
        if part == "#":
            matched.append("/".join(levels[index:]))
            return matched
        if index >= len(levels):
            return None
        if part == "+":
            matched.append(levels[index])
        elif part != levels[index]:
            return None
    return matched if len(levels) == len(wanted) else None


def _ultralight(text: str) -> dict[str, Any]:
    """``t|23.5|h|70`` → ``{"t": 23.5, "h": 70}``; several measures separated by ``#`` keep the last."""
    values: dict[str, Any] = {}
    for measure in text.strip().split("#"):
        parts = measure.split("|")
        if len(parts) % 2:
            raise FeedError(f"UltraLight needs key|value pairs, got {measure[:80]!r}", "payload")
        for key, raw in zip(parts[::2], parts[1::2], strict=True):
            try:
                values[key] = int(raw) if raw.lstrip("-").isdigit() else float(raw)
            except ValueError:
                values[key] = raw
    return values


def decode_mqtt(feed: FeedConfig, topic: str, payload: bytes, received_at: datetime) -> FeedResult:
    kind = feed.options.get("payload")
    try:
        text = payload.decode("utf-8") if payload else ""
    except UnicodeDecodeError as exc:
        raise FeedError(f"payload is not UTF-8 text ({exc.reason} at byte {exc.start})", "payload") from exc
    if kind == "ngsi" or (kind is None and '"data"' in text and ("subscriptionId" in text or '"body"' in text)):
        return decode_ngsi(feed, payload, received_at)
    matched = next((m for pattern in feed.options.get("topics", ["#"]) if (m := topic_matches(str(pattern), topic))
                    is not None), None)
    if matched is None:
        raise FeedError(f"topic {topic!r} matches none of the feed's topics", "topic")
    if kind == "json" or (kind is None and text.lstrip()[:1] in ("{", "[")):
        record = json_body(text, "payload")
        if not isinstance(record, dict):
            record = {"value": record}
    else:
        record = _ultralight(text)
    levels = topic.split("/")
    key = str(feed.options.get("key", "mqtt/{id}"))
    key = key.replace("{id}", short_id(matched[0]) if matched else short_id(levels[-1]))
    for index, level in enumerate(levels, start=1):
        key = key.replace(f"{{{index}}}", short_id(level))
    fields: Mapping[str, str] = feed.options.get("fields") or {}
    values = ({name: hit for name, path in fields.items() if (found := dotted(record, path))[0]
               for hit in [found[1]]} if fields else record)
    if not values:
        raise FeedError("the payload carries none of the feed's fields", "payload")
    observed_at = received_at
    time_field = feed.options.get("time_field")
    if time_field and (found := dotted(record, str(time_field)))[0]:
        try:
            observed_at = parse_instant(str(found[1]))
        except ValueError as exc:
            raise FeedError(f"is not an ISO 8601 instant with an offset ({found[1]!r})", str(time_field)) from exc
    result = FeedResult()
    result.observations.append(Observation(key, dict(values), observed_at, feed.id))
    return result
