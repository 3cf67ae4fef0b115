"""GTFS-Realtime (protobuf, or its text format for fixtures): alerts, trip updates and vehicle positions.

- Alerts: a full dataset of alerts says everything that is disrupted now. Every line listed in the feed's
  ``routes`` option gets ``transit/<line>``, ``disrupted`` or not, so a disruption that leaves the feed ends on
  the panels. A message with only trip updates or vehicle positions says nothing of disruptions (producers
  often send them on one URL, one message each); an empty full dataset says nothing is disrupted. An alert
  that names a line several times (one informed entity per stop) counts once for that line. Texts without a
  language tag are taken as French (French feeds rarely tag them).
- Trip updates: ``trips/<trip>`` with the line, the delay and the stops' delays; and where a stop's update
  gives an absolute time (``departure.time``, else ``arrival.time``), ``departures/<stop>`` with the coming
  departures there, soonest first, in the shape SIRI StopMonitoring gives (the line is the route id, the
  destination the trip's headsign when the producer sends one). A stop's name comes from the feed's
  ``stop_names`` option (``{stop_id: name}``, which ``stops_file`` fills from the static GTFS ``stops.txt``);
  without it the stop has no name, never its id shown as one.
- Vehicle positions: ``vehicles/<vehicle>`` with position, bearing, line and trip; the speed is left out, as
  French producers are known to publish it in the wrong unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import text_format
from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2

from signage.feeds.base import MAX_DEPARTURES, FeedError, FeedResult, short_id
from signage.model import FeedConfig, Observation
from signage.timeutil import format_instant

__all__ = ["decode_gtfs_rt"]

_EFFECTS = {1: "NO_SERVICE", 2: "REDUCED_SERVICE", 3: "SIGNIFICANT_DELAYS", 4: "DETOUR", 5: "ADDITIONAL_SERVICE",
            6: "MODIFIED_SERVICE", 7: "OTHER_EFFECT", 8: "UNKNOWN_EFFECT", 9: "STOP_MOVED", 10: "NO_EFFECT",
            11: "ACCESSIBILITY_ISSUE"}


def _s(value: Any) -> str:
    """A protobuf string field as text: a corrupt one can arrive as bytes."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _translation(text: Any, languages: tuple[str, ...]) -> str:
    """The translation in the first of the city's languages the feed gives, else the untagged one, else any."""
    options = {_s(t.language or "").lower(): _s(t.text) for t in text.translation}
    for language in (*languages, ""):
        if language in options:
            return str(options[language])
    return str(next(iter(options.values()), ""))


def _parse_text(message: Any, body: bytes) -> bool:
    """The protobuf text format (``header { … } entity { … }``), which specifications and fixtures use."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text.lstrip().startswith(("header", "entity", "#")):
        return False
    try:
        text_format.Parse(text, message)
    except text_format.ParseError:
        return False
    return True


def _trips_and_vehicles(feed: FeedConfig, message: Any, observed_at: datetime, result: FeedResult) -> None:
    departures_at: dict[str, list[dict[str, Any]]] = {}
    for entity in message.entity:
        if entity.is_deleted:
            continue
        if entity.HasField("trip_update"):
            update = entity.trip_update
            trip = _s(update.trip.trip_id or entity.id)
            stops = [{"stop": _s(s.stop_id) or None,
                      "sequence": s.stop_sequence if s.HasField("stop_sequence") else None,
                      "arrival_delay": s.arrival.delay if s.HasField("arrival") and s.arrival.HasField("delay")
                      else None,
                      "departure_delay": s.departure.delay if s.HasField("departure") and s.departure.HasField(
                          "delay") else None,
                      "skipped": s.schedule_relationship == 1}
                     for s in update.stop_time_update]
            delay = update.delay if update.HasField("delay") else next(
                (d for s in stops for d in (s["arrival_delay"], s["departure_delay"]) if d is not None), None)
            when = datetime.fromtimestamp(update.timestamp, UTC) if update.timestamp else observed_at
            result.observations.append(Observation(f"trips/{short_id(trip)}", {
                "trip": trip, "line": _s(update.trip.route_id) or None, "delay_s": delay, "stops": stops,
            }, when, feed.id))
            headsign = _s(update.trip_properties.trip_headsign) if update.HasField("trip_properties") else ""
            for stop_update in update.stop_time_update:
                at = _absolute_time(stop_update)
                if stop_update.stop_id and at is not None and stop_update.schedule_relationship != 1:
                    departures_at.setdefault(_s(stop_update.stop_id), []).append({
                        "line": _s(update.trip.route_id) or None, "destination": headsign or None,
                        "aimed": None, "expected": at, "actual": None, "at_stop": False, "status": None})
        if entity.HasField("vehicle"):
            vehicle = entity.vehicle
            ident = _s(vehicle.vehicle.id or entity.id)
            when = datetime.fromtimestamp(vehicle.timestamp, UTC) if vehicle.timestamp else observed_at
            result.observations.append(Observation(f"vehicles/{short_id(ident)}", {
                "vehicle": ident, "line": _s(vehicle.trip.route_id) or None,
                "trip": _s(vehicle.trip.trip_id) or None,
                "lat": round(vehicle.position.latitude, 6), "lon": round(vehicle.position.longitude, 6),
                "bearing": vehicle.position.bearing if vehicle.position.HasField("bearing") else None,
            }, when, feed.id))
    names = feed.options.get("stop_names")
    names = names if isinstance(names, dict) else {}
    for stop, departures in departures_at.items():
        departures.sort(key=lambda d: str(d["expected"]))
        name = names.get(stop)
        result.observations.append(Observation(f"departures/{short_id(stop)}", {
            "stop": stop, "name": name if isinstance(name, str) and name else None,
            "departures": departures[:MAX_DEPARTURES], "notices": []},
            observed_at, feed.id))


def _absolute_time(update: Any) -> str | None:
    """When the vehicle leaves the stop (else arrives), when the update gives the time itself, not a delay."""
    for event in ("departure", "arrival"):
        if update.HasField(event) and getattr(update, event).time:
            return format_instant(datetime.fromtimestamp(getattr(update, event).time, UTC))
    return None


def decode_gtfs_rt(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    message = gtfs_realtime_pb2.FeedMessage()
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        if not _parse_text(message, body):
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
            "id": _s(entity.id),
            "effect": _EFFECTS.get(alert.effect, "UNKNOWN_EFFECT"),
            "header": _translation(alert.header_text, feed.languages),
            "description": _translation(alert.description_text, feed.languages),
        }
        for route in dict.fromkeys(_s(i.route_id) for i in alert.informed_entity if i.route_id):
            disruptions.setdefault(route, []).append(summary)
    result = FeedResult()
    _trips_and_vehicles(feed, message, observed_at, result)
    has_alerts = any(entity.HasField("alert") for entity in message.entity)
    all_clear = not message.entity and message.header.incrementality == gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    if not has_alerts and not (all_clear and routes):
        return result  # trip updates or vehicle positions only: nothing said of disruptions
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
