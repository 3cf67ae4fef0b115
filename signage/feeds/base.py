"""What every feed adapter returns, and the one error it raises for bad input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from signage.model import Alert, Observation

__all__ = ["FeedError", "FeedResult", "dotted", "short_id"]


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
