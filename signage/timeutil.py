"""Parsing and formatting of instants: every instant in the engine is timezone-aware."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["format_instant", "parse_duration", "parse_instant"]

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*\Z")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_instant(text: str, *, assume_utc: bool = False, assume_zone: str | None = None) -> datetime:
    """Parse ISO 8601; an instant without an offset is refused unless ``assume_utc`` or ``assume_zone`` (an IANA
    time zone, for what people type on local clocks) says how to read it."""
    if not isinstance(text, str) or not text:
        raise ValueError("expected an ISO 8601 instant")
    value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if value.tzinfo is None:
        if assume_zone is not None:
            return value.replace(tzinfo=ZoneInfo(assume_zone))
        if not assume_utc:
            raise ValueError(f"instant {text!r} has no UTC offset")
        value = value.replace(tzinfo=UTC)
    return value


@functools.lru_cache(maxsize=1024)
def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond: stable text for records and ETags. Cached: one step
    formats its instant for each record and document it makes, and equal instants in any zone give one text."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds")
    return (text[:-6] if value.tzinfo is not None else text) + "Z"  # "+00:00" becomes "Z"


def parse_duration(value: object) -> timedelta:
    """Durations in configuration: a number of seconds, or text like ``90s``, ``15m``, ``2h``, ``1d``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 15m or 2h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError("expected a duration such as 90s, 15m or 2h")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return timedelta(seconds=seconds)
