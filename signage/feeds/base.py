"""What every feed adapter returns, and the one error it raises for bad input."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from signage.model import Alert, Observation
from signage.safe_json import JsonProblem, loads
from signage.safe_text import clean, clean_value

__all__ = ["MAX_DEPARTURES", "MAX_INTEGER", "FeedError", "FeedResult", "checked", "dotted", "finite_number",
           "json_body", "short_id"]

MAX_INTEGER = 2**53  # beyond this a browser's JSON.parse silently changes the number
MAX_DEPARTURES = 12  # kept per stop, whichever feed (SIRI, GTFS-Realtime) says them


class FeedError(ValueError):
    """A delivery that cannot be used: ``where`` names the field or position, ``reason`` says what was wrong."""

    def __init__(self, reason: str, where: str = "", code: str = "bad_payload") -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.where = where
        self.code = code
        self.dead_letter: str | None = None  # set when the refused body was kept


@dataclass(slots=True)
class FeedResult:
    observations: list[Observation] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # what the feed carried that nothing is mapped to


def short_id(entity_id: str) -> str:
    """An id safe in a key and a topic, lowercased: ``urn:ngsi-ld:OffStreetParking:Darcy`` → ``darcy`` (the
    URN's prefix and type dropped, so the v2 and LD forms of one entity meet), ``A:B`` → ``a-b``."""
    text = entity_id.strip()
    for prefix in ("urn:ngsi-ld:", "urn:ngsi:ld:", "uri:ngsi-ld:"):  # the last is a known typo in the wild
        if text.lower().startswith(prefix):
            text = text[len(prefix):].split(":", 1)[-1]
            break
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text.lower()).strip("-") or "unnamed"


def dotted(record: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """Follow ``a.b.c`` through nested mappings: (found, value)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def finite_number(text: str | None, where: str) -> float | None:
    """A number read from text (XML, CSV, UltraLight); None for no text, ``FeedError`` for NaN, infinities and
    numbers out of range, which JSON cannot carry."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) >= MAX_INTEGER:
        raise FeedError(f"{text.strip()[:40]!r} is not a finite number in range", where)
    return value


def _check_numbers(value: Any, where: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise FeedError("is not a finite number (JSON has no NaN or infinities)", where)
    if isinstance(value, int | float) and abs(value) >= MAX_INTEGER:
        raise FeedError(f"is out of range (at most {MAX_INTEGER} in absolute value)", where)
    if isinstance(value, dict):
        for key, item in value.items():
            _check_numbers(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_numbers(item, f"{where}[{index}]")


def checked(result: FeedResult) -> FeedResult:
    """What every adapter decoded, made fit to show: numbers finite and in range (refused otherwise, with where),
    control characters and bidi overrides removed from every text."""
    observations = []
    for observation in result.observations:
        _check_numbers(dict(observation.value), observation.key)
        observations.append(Observation(clean(observation.key), clean_value(dict(observation.value)),
                                        observation.observed_at, observation.source))
    alerts = [Alert.from_json(clean_value(alert.to_json())) for alert in result.alerts]
    return FeedResult(observations, alerts, [clean(text) for text in result.ignored])


def json_body(body: bytes | str, where: str = "") -> Any:
    """The body as JSON (RFC 8259, bounded: see ``signage.safe_json``), or ``FeedError`` saying why not."""
    try:
        return loads(body)
    except JsonProblem as exc:
        raise FeedError(f"body is not acceptable JSON: {exc}", where) from exc
