"""How many refused deliveries a feed keeps, how many bytes of them, and for how long. Pure.

Without bounds, a producer gone wrong (or anyone holding its credentials) could fill the store with refused
bodies. Each feed keeps at most ``max_count`` letters and ``max_bytes`` of bodies, none older than ``keep``; the
oldest go first, and each one dropped is counted (``signage_dead_letters_dropped_total``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

__all__ = ["DeadLetterLimits", "parse_size"]

_SIZE = re.compile(r"\s*(\d+)\s*(B|KiB|MiB|GiB|kB|MB|GB)?\s*\Z")
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def parse_size(value: object) -> int:
    """A size in bytes: a whole number, or text like ``512KiB``, ``16MiB``, ``1GB``."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 16MiB")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    match = _SIZE.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a size (such as 512KiB or 16MiB)")
    return int(match.group(1)) * _UNITS[match.group(2) or "B"]


@dataclass(frozen=True, slots=True)
class DeadLetterLimits:
    max_count: int = 200
    max_bytes: int = 16 * 1024**2
    keep: timedelta = timedelta(days=7)

    DEFAULT: ClassVar[DeadLetterLimits]

    def __post_init__(self) -> None:
        if self.max_count < 0:
            raise ValueError("max_count cannot be negative")
        if self.keep <= timedelta(0):
            raise ValueError("keep must be a positive duration")

    def to_json(self) -> dict[str, Any]:
        return {"max_count": self.max_count, "max_bytes": self.max_bytes, "keep_s": self.keep.total_seconds()}

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> DeadLetterLimits:
        """The limits a feed's options give (``dead_letters``), or the defaults."""
        given = options.get("dead_letters")
        if not isinstance(given, Mapping):
            return cls.DEFAULT
        return cls(int(given["max_count"]), int(given["max_bytes"]), timedelta(seconds=float(given["keep_s"])))


DeadLetterLimits.DEFAULT = DeadLetterLimits()
