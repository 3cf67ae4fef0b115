"""SIRI deliveries, XML (CEN SIRI 2.0, the French profile) and SIRI Lite JSON, into observations.

Both are read through one tree shape, so one set of rules covers them: XML elements become mappings of child
name to a list of children (text for leaves); SIRI Lite's ``{"value": …}`` wrappers and single-or-list values
are unwrapped the same way.

- StopMonitoring → ``departures/<stop>``: the next departures (line, destination, aimed, expected, at stop)
  and the stop's line notices.
- GeneralMessage → ``messages/<id>``: free-text disruption messages; a cancellation sets ``active: false``.
- SituationExchange → ``situations/<participant>-<number>``: structured disruptions with affected lines.
- FacilityMonitoring → ``facilities/<code>``: lifts and escalators.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from signage.feeds.base import MAX_DEPARTURES, FeedError, FeedResult, json_body, short_id
from signage.feeds.xmltree import local, parse_xml
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["decode_siri"]

Node = Any


def _tree(element: Element) -> Node:
    if len(element) == 0:
        return (element.text or "").strip()
    node: dict[str, list[Node]] = {}
    for child in element:
        node.setdefault(local(child), []).append(_tree(child))
    return node


def _items(node: Node, name: str) -> list[Node]:
    if not isinstance(node, dict) or name not in node:
        return []
    value = node[name]
    return value if isinstance(value, list) else [value]


def _first(node: Node, *path: str) -> Node:
    for name in path:
        found = _items(node, name)
        if not found:
            return None
        node = found[0]
    return node


def _str(node: Node, *path: str) -> str | None:
    value = _first(node, *path)
    if isinstance(value, dict) and "value" in value:  # SIRI Lite's {"value": ...}
        value = value["value"]
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    text = str(value).strip()
    return text or None


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text, assume_utc=True)
    except ValueError:
        return None


def _document(body: bytes) -> Node:
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        data = json_body(body)
        if not isinstance(data, dict) or "Siri" not in data:
            raise FeedError("expected SIRI Lite JSON with a top-level Siri object", "Siri")
        return data["Siri"]
    root = parse_xml(body)
    if local(root) != "Siri":
        raise FeedError(f"expected a <Siri> document, found <{local(root)}>", "xml")
    return _tree(root)


def decode_siri(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    siri = _document(body)
    delivery = _first(siri, "ServiceDelivery")
    if delivery is None:
        if _first(siri, "ServiceRequest") is not None:
            raise FeedError("this is a SIRI request, not a delivery: nothing to observe", "Siri.ServiceRequest")
        raise FeedError("no ServiceDelivery", "Siri.ServiceDelivery")
    default_time = _instant(_str(delivery, "ResponseTimestamp")) or received_at
    result = FeedResult()
    for part in _items(delivery, "StopMonitoringDelivery"):
        _stop_monitoring(feed, part, default_time, result)
    for part in _items(delivery, "GeneralMessageDelivery"):
        _general_messages(feed, part, default_time, result)
    for part in _items(delivery, "SituationExchangeDelivery"):
        _situations(feed, part, default_time, result)
    for part in _items(delivery, "FacilityMonitoringDelivery"):
        _facilities(feed, part, default_time, result)
    if not result.observations:
        result.ignored.append("the delivery carries no stop visit, message, situation or facility")
    return result


def _stop(stop: str) -> dict[str, Any]:
    """A stop's document, before its departures and notices are added."""
    return {"stop": stop, "name": None, "departures": [], "notices": []}


def _stop_monitoring(feed: FeedConfig, part: Node, default: datetime, result: FeedResult) -> None:
    at = _instant(_str(part, "ResponseTimestamp")) or default
    stops: dict[str, dict[str, Any]] = {}
    for visit in _items(part, "MonitoredStopVisit"):
        stop = _str(visit, "MonitoringRef") or _str(part, "MonitoringRef")
        journey = _first(visit, "MonitoredVehicleJourney")
        if stop is None or journey is None:
            result.ignored.append("a MonitoredStopVisit without MonitoringRef or MonitoredVehicleJourney")
            continue
        call = _first(journey, "MonitoredCall")
        entry = {
            "line": _str(journey, "PublishedLineName") or _str(journey, "LineRef"),
            "destination": _str(journey, "DestinationName"),
            "aimed": _str(call, "AimedDepartureTime") or _str(call, "AimedArrivalTime"),
            "expected": _str(call, "ExpectedDepartureTime") or _str(call, "ExpectedArrivalTime"),
            "actual": _str(call, "ActualDepartureTime"),
            "at_stop": _str(call, "VehicleAtStop") == "true",
            "status": _str(call, "DepartureStatus") or _str(journey, "ProgressStatus"),
        }
        value = stops.setdefault(stop, _stop(stop))
        value["departures"].append(entry)
        value["name"] = value["name"] or _str(call, "StopPointName")  # the stop as riders read it
    for notice in _items(part, "StopLineNotice"):
        stop = _str(notice, "MonitoringRef") or _str(part, "MonitoringRef")
        if stop is not None:
            stops.setdefault(stop, _stop(stop))["notices"].append(
                {"line": _str(notice, "LineRef"), "note": _str(notice, "LineNote")})
    for stop, value in stops.items():
        value["departures"] = value["departures"][:MAX_DEPARTURES]
        result.observations.append(Observation(f"departures/{short_id(stop)}", value, at, feed.id))


def _general_messages(feed: FeedConfig, part: Node, default: datetime, result: FeedResult) -> None:
    for message in _items(part, "GeneralMessage"):
        identifier = _str(message, "InfoMessageIdentifier")
        if identifier is None:
            result.ignored.append("a GeneralMessage without InfoMessageIdentifier")
            continue
        content = _first(message, "Content")
        text = _str(message, "Content") if not isinstance(content, dict) else (
            _str(content, "Message", "MessageText") or json.dumps(content, ensure_ascii=False))
        result.observations.append(Observation(f"messages/{short_id(identifier)}", {
            "id": identifier, "channel": _str(message, "InfoChannelRef"), "content": text,
            "valid_until": _str(message, "ValidUntilTime"), "active": True,
        }, _instant(_str(message, "RecordedAtTime")) or default, feed.id))
    for cancel in _items(part, "GeneralMessageCancellation"):
        identifier = _str(cancel, "InfoMessageIdentifier")
        if identifier is not None:
            result.observations.append(Observation(f"messages/{short_id(identifier)}", {
                "id": identifier, "channel": _str(cancel, "InfoChannelRef"), "active": False,
            }, _instant(_str(cancel, "RecordedAtTime")) or default, feed.id))


def _situations(feed: FeedConfig, part: Node, default: datetime, result: FeedResult) -> None:
    situations = _first(part, "Situations")
    for kind in ("PtSituationElement", "RoadSituationElement"):
        for situation in _items(situations, kind):
            number = _str(situation, "SituationNumber")
            if number is None:
                result.ignored.append(f"a {kind} without SituationNumber")
                continue
            participant = _str(situation, "ParticipantRef") or "siri"
            affects = _first(situation, "Affects")
            lines = sorted({line for network in _items(affects, "Networks")
                            for affected in _items(network, "AffectedNetwork")
                            for item in _items(affected, "AffectedLine")
                            if (line := _str(item, "LineRef"))})
            stops = sorted({stop for group in _items(affects, "StopPoints")
                            for item in _items(group, "AffectedStopPoint")
                            if (stop := _str(item, "StopPointRef"))})
            progress = _str(situation, "Progress")
            suffix = "" if kind.startswith("Pt") else "-road"
            key = f"situations/{short_id(participant)}-{short_id(number)}{suffix}"
            result.observations.append(Observation(key, {
                "kind": "public transport" if kind.startswith("Pt") else "road",
                "summary": _str(situation, "Summary"), "description": _str(situation, "Description"),
                "severity": _str(situation, "Severity"), "progress": progress,
                "cause": _str(situation, "AlertCause"),
                "valid_from": _str(situation, "ValidityPeriod", "StartTime"),
                "valid_to": _str(situation, "ValidityPeriod", "EndTime"),
                "lines": lines, "stops": stops, "active": progress != "closed",
            }, _instant(_str(situation, "CreationTime")) or default, feed.id))


def _facilities(feed: FeedConfig, part: Node, default: datetime, result: FeedResult) -> None:
    at = _instant(_str(part, "ResponseTimestamp")) or default
    for condition in _items(part, "FacilityCondition"):
        code = _str(condition, "Facility", "FacilityCode") or _str(condition, "FacilityRef")
        if code is None:
            result.ignored.append("a FacilityCondition without FacilityCode or FacilityRef")
            continue
        status = _str(condition, "FacilityStatus", "Status")
        result.observations.append(Observation(f"facilities/{short_id(code)}", {
            "facility": code, "description": _str(condition, "Facility", "Description"),
            "status": status, "detail": _str(condition, "FacilityStatus", "Description"),
            "available": status == "available",
            "stop": _str(condition, "Facility", "FacilityLocation", "StopPointRef"),
        }, at, feed.id))
