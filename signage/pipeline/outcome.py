"""What one step of the pipeline produces: records (what happened, as ``signage replay`` prints it) and
publications (what goes on the bus). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signage.timeutil import format_instant

__all__ = ["Outcome", "Publication", "Record"]


@dataclass(slots=True)  # not frozen: a step makes thousands, and frozen classes are slow to build
class Record:
    """One thing that happened, as ``signage replay`` prints it."""

    kind: str
    at: datetime
    data: Mapping[str, Any]
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "at": format_instant(self.at)}
        if self.line is not None:
            out["line"] = self.line
        out.update(self.data)
        return out


@dataclass(slots=True)
class Publication:
    topic: str
    data: Mapping[str, Any]


@dataclass(slots=True)
class Outcome:
    records: list[Record] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.records.extend(other.records)
        self.publications.extend(other.publications)
