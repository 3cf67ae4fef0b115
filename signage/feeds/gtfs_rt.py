"""GTFS-Realtime service alerts (protobuf), as the disruption state of each configured line.

A full dataset says everything that is disrupted now: every line listed in the feed's ``routes`` option gets
an observation, ``disrupted`` or not, so a disruption that disappears from the feed ends on the panels.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2

from signage.feeds.base import FeedError, FeedResult
from signage.model import FeedConfig, Observation

__all__ = ["decode_gtfs_rt"]

_EFFECTS = {1: "NO_SERVICE", 2: "REDUCED_SERVICE", 3: "SIGNIFICANT_DELAYS", 4: "DETOUR", 5: "ADDITIONAL_SERVICE",
            6: "MODIFIED_SERVICE", 7: "OTHER_EFFECT", 8: "UNKNOWN_EFFECT", 9: "STOP_MOVED", 10: "NO_EFFECT",
            11: "ACCESSIBILITY_ISSUE"}


def _translation(text: Any, languages: tuple[str, ...] = ("fr", "en")) -> str:
    options = {(t.language or "").lower(): t.text for t in text.translation}
    for language in (*languages, ""):
        if language in options:
            return str(options[language])
    return str(next(iter(options.values()), ""))


def decode_gtfs_rt(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    message = gtfs_realtime_pb2.FeedMessage()
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise FeedError(f"not a GTFS-Realtime FeedMessage ({exc})", "protobuf") from exc
    if not message.HasField("header"):
        raise FeedError("a FeedMessage needs a header", "header")
    observed_at = (datetime.fromtimestamp(message.header.timestamp, UTC)
                   if message.header.timestamp else received_at)
    routes = [str(r) for r in feed.options.get("routes", [])]
    now_ts = int(observed_at.timestamp())
    disruptions: dict[str, list[dict[str, Any]]] = {}
    for entity in message.entity:
        if not entity.HasField("alert") or entity.is_deleted:
            continue
        alert = entity.alert
        periods = list(alert.active_period)
        if periods and not any((p.start or 0) <= now_ts < (p.end or 2**63) for p in periods):
            continue
        summary = {
            "id": entity.id,
            "effect": _EFFECTS.get(alert.effect, "UNKNOWN_EFFECT"),
            "header": _translation(alert.header_text),
            "description": _translation(alert.description_text),
        }
        for informed in alert.informed_entity:
            if informed.route_id:
                disruptions.setdefault(informed.route_id, []).append(summary)
    result = FeedResult()
    for route in dict.fromkeys([*routes, *disruptions]):
        if routes and route not in routes:
            result.ignored.append(f"route {route!r} is not in the feed's routes")
            continue
        found = disruptions.get(route, [])
        result.observations.append(Observation(
            f"transit/{route.lower()}",
            {"line": route, "disrupted": bool(found), "disruptions": found,
             "header": found[0]["header"] if found else ""},
            observed_at, feed.id,
        ))
    return result
