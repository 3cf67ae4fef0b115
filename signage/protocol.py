"""What travels on the bus between the engine's processes: topic names and versioned documents. Pure.

Every process reads and writes these through this module only, so a document has one shape in one place:

- ``_ingest``: what web processes and feed runners hand the engine, in order: a feed's delivery (observations and
  alerts), a feed's failure, a summary of deliveries refused for who sent them, or a staff command (broadcast,
  stop, alert, template). The engine tails it from its start.
- ``_feeds``: the engine's report on every feed's health; ``_explain/<panel>``: each panel's "why", without what
  changes with the clock alone; ``_index``: every public topic that has a value; ``_push``: push decisions, one per
  topic.
- Public topics (``parking/darcy``, ``alerts/dijon``, ``panel/gare``…) carry live values, alerts and panel
  contents; their families come from the configuration, ``alerts/`` and ``panel/`` are always there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signage.model import Alert, Observation
from signage.timeutil import format_instant, parse_instant

__all__ = [
    "BUILT_IN_FAMILIES", "COMMANDS", "EXPLAIN_PREFIX", "FEEDS_TOPIC", "INDEX_TOPIC", "INGEST_TOPIC", "INTERNAL_PREFIX",
    "PUSH_TOPIC", "Command", "Delivery", "FeedFailure", "Fence", "Fenced", "Refusals", "alerts_topic",
    "command_document", "delivery_document", "explanation_document", "failure_document", "panel_topic", "read_ingest",
    "refusals_document", "topic_matcher",
]

VERSION = 1
INTERNAL_PREFIX = "_"  # topics for the engine's processes, never fanned out to clients
INGEST_TOPIC = "_ingest"
FEEDS_TOPIC = "_feeds"
EXPLAIN_PREFIX = "_explain/"
INDEX_TOPIC = "_index"
PUSH_TOPIC = "_push"
BUILT_IN_FAMILIES = ("alerts", "panel")  # topic families every city has, whatever its configuration
COMMANDS = ("broadcast", "stop", "alert", "template")
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"


def panel_topic(panel_id: str) -> str:
    return f"panel/{panel_id}"


def alerts_topic(zone_id: str) -> str:
    return f"alerts/{zone_id}"


def topic_matcher(patterns: Iterable[str]) -> re.Pattern[str]:
    """What a client may subscribe to: the configuration's public families (``parking/*``…) and the built-in
    ones, each a family name, a slash and one name, to the very end (``\\Z``: no newline after it)."""
    families = sorted({p.split("/", 1)[0] for p in patterns if "/" in p} | set(BUILT_IN_FAMILIES))
    return re.compile(rf"(?:{'|'.join(re.escape(f) for f in families)})/{_NAME}\Z")


def delivery_document(feed_id: str, received_at: datetime, observations: Iterable[Observation],
                      alerts: Iterable[Alert]) -> dict[str, Any]:
    return {"v": VERSION, "feed": feed_id, "received_at": format_instant(received_at),
            "observations": [o.to_json() for o in observations], "alerts": [a.to_json() for a in alerts]}


def failure_document(feed_id: str, at: datetime, reason: str, where: str) -> dict[str, Any]:
    return {"v": VERSION, "feed": feed_id, "received_at": format_instant(at),
            "error": {"reason": reason, "where": where}}


def refusals_document(feed_id: str, last_at: datetime, count: int, reason: str) -> dict[str, Any]:
    return {"v": VERSION, "feed": feed_id, "received_at": format_instant(last_at),
            "refused": {"count": count, "reason": reason}}


def command_document(command: str, at: datetime, **fields: Any) -> dict[str, Any]:
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}")
    return {"command": command, **fields, "received_at": format_instant(at)}


def explanation_document(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """A panel's "why" as published: without what changes with the clock alone (``at``, ages, staleness), so it
    is published only when something changed; a reader adds ages back from ``observed_at``."""
    values = [{k: v for k, v in value.items() if k not in ("age_s", "stale")} for value in explanation["values"]]
    return {**{k: v for k, v in explanation.items() if k != "at"}, "values": values}


@dataclass(frozen=True, slots=True)
class Fence:
    """What a leading engine's write must find in Redis to be made: the lease ``key`` holding ``value``."""

    key: str
    value: str


class Fenced(RuntimeError):
    """A write refused because the engine that made it no longer leads."""


@dataclass(frozen=True, slots=True)
class Delivery:
    feed: str
    received_at: datetime
    observations: list[Observation]
    alerts: list[Alert]


@dataclass(frozen=True, slots=True)
class FeedFailure:
    feed: str
    at: datetime
    reason: str
    where: str


@dataclass(frozen=True, slots=True)
class Refusals:
    feed: str
    at: datetime
    count: int
    reason: str


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    at: datetime
    fields: Mapping[str, Any]


def read_ingest(payload: Any) -> Delivery | FeedFailure | Refusals | Command:
    """The typed entry an ``_ingest`` document is; ``ValueError`` (or ``KeyError``, ``TypeError``) for one that is
    not a valid document."""
    if not isinstance(payload, dict):
        raise ValueError("an ingest entry is a JSON object")
    if "command" in payload:
        name = str(payload["command"])
        at = parse_instant(payload["received_at"]) if payload.get("received_at") else None
        if at is None:
            raise ValueError("a command needs its received_at")
        return Command(name, at, {k: v for k, v in payload.items() if k not in ("command", "received_at")})
    feed, received_at = str(payload["feed"]), parse_instant(payload["received_at"])
    if "error" in payload:
        return FeedFailure(feed, received_at, str(payload["error"]["reason"]), str(payload["error"].get("where", "")))
    if "refused" in payload:
        return Refusals(feed, received_at, int(payload["refused"]["count"]), str(payload["refused"]["reason"]))
    return Delivery(feed, received_at, [Observation.from_json(o) for o in payload["observations"]],
                    [Alert.from_json(a) for a in payload["alerts"]])
