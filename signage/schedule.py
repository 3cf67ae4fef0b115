"""Dayparting: when a rule may be active, in the city's local time, across daylight-saving changes. Pure.

A schedule combines days of the week, time windows (``07:00-10:00``; ``22:00-07:00`` crosses midnight and
belongs to the day it starts on) and date ranges (``2026-12-01..2026-12-24``, inclusive). An empty part means
"any". ``next_change`` finds the next instant at which being inside flips, so the engine can wake exactly then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DAYS", "Schedule", "TimeWindow", "parse_schedule"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*\Z")
_RANGE = re.compile(r"\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*\Z")
_HORIZON_DAYS = 9


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def contains(self, clock: time) -> bool:
        """Whether a local wall-clock time falls inside the window (the end is excluded)."""
        if self.crosses_midnight:
            return clock >= self.start or clock < self.end
        return self.start <= clock < self.end

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        match = _WINDOW.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a time window like 07:00-10:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"{text!r} is not a valid time window")
        end = time(0, 0) if h2 == 24 else time(h2, m2)
        return cls(time(h1, m1), end)


@dataclass(frozen=True, slots=True)
class Schedule:
    days: frozenset[int] = frozenset()  # ISO weekdays, 1 = Monday
    windows: tuple[TimeWindow, ...] = ()
    dates: tuple[tuple[date, date], ...] = ()
    timezone: str = "UTC"

    def _day_allowed(self, day: date) -> bool:
        if self.days and day.isoweekday() not in self.days:
            return False
        return not self.dates or any(a <= day <= b for a, b in self.dates)

    def contains(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        today, clock = local.date(), local.time().replace(tzinfo=None)
        if not self.windows:
            return self._day_allowed(today)
        for window in self.windows:
            if window.crosses_midnight:
                if clock >= window.start and self._day_allowed(today):
                    return True
                if clock < window.end and self._day_allowed(today - timedelta(days=1)):
                    return True
            elif window.start <= clock < window.end and self._day_allowed(today):
                return True
        return False

    def _boundaries(self, start: date) -> list[datetime]:
        zone = ZoneInfo(self.timezone)
        points: list[datetime] = []
        for offset in range(_HORIZON_DAYS):
            day = start + timedelta(days=offset)
            points.append(datetime.combine(day, time(0, 0), zone))
            for window in self.windows:
                points.append(datetime.combine(day, window.start, zone))
                points.append(datetime.combine(day, window.end, zone))
        for first, last in self.dates:
            points.append(datetime.combine(first, time(0, 0), zone))
            points.append(datetime.combine(last + timedelta(days=1), time(0, 0), zone))
        return sorted(points)

    def next_change(self, now: datetime) -> datetime | None:
        """The first instant after ``now`` at which ``contains`` gives another answer (within nine days)."""
        inside = self.contains(now)
        local_day = now.astimezone(ZoneInfo(self.timezone)).date()
        for point in self._boundaries(local_day - timedelta(days=1)):
            # A local time that a DST change skips is normalised through UTC; the comparison stays exact.
            instant = point.astimezone(ZoneInfo("UTC"))
            if instant > now and self.contains(instant) != inside:
                return instant
        return None


def parse_schedule(data: object, timezone: str) -> Schedule:
    """Build a schedule from configuration; raises ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("must be a mapping with days, windows and/or dates")
    unknown = set(data) - {"days", "windows", "dates"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    days_value = data.get("days", [])
    if not isinstance(days_value, list) or any(d not in DAYS for d in days_value):
        raise ValueError(f"days must be a list of {', '.join(DAYS)}")
    windows_value = data.get("windows", [])
    if not isinstance(windows_value, list) or not all(isinstance(w, str) for w in windows_value):
        raise ValueError("windows must be a list like [\"07:00-10:00\"]")
    ranges: list[tuple[date, date]] = []
    for text in data.get("dates", []) or []:
        match = _RANGE.match(str(text))
        if not match:
            raise ValueError(f"{text!r} is not a date range like 2026-12-01..2026-12-24")
        first, last = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        if last < first:
            raise ValueError(f"{text!r} ends before it starts")
        ranges.append((first, last))
    return Schedule(frozenset(DAYS.index(d) + 1 for d in days_value),
                    tuple(TimeWindow.parse(w) for w in windows_value), tuple(ranges), timezone)
