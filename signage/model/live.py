"""What happens in the city, as the engine carries it: readings from feeds, public alerts, messages to show.
Frozen, and plain enough to cross the bus as JSON (``to_json`` / ``from_json``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from signage.model.setup import JSON, Lane, Targets
from signage.timeutil import format_instant, parse_instant

__all__ = ["Alert", "Message", "Observation"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One reading from a feed: ``value`` holds the fields it carried for ``key``."""

    key: str
    value: Mapping[str, JSON]
    observed_at: datetime
    source: str

    def to_json(self) -> dict[str, JSON]:
        return {
            "key": self.key,
            "value": dict(self.value),
            "observed_at": format_instant(self.observed_at),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> Observation:
        return cls(
            key=str(data["key"]),
            value=dict(data["value"]),
            observed_at=parse_instant(data["observed_at"]),
            source=str(data["source"]),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """A public warning (CAP 1.2 semantics): ``msg_type`` alert, update or cancel; ``references`` name earlier ids."""

    id: str
    source: str
    sent: datetime
    msg_type: str
    severity: str
    urgency: str
    event: str
    headline: Mapping[str, str]
    description: Mapping[str, str]
    zones: tuple[str, ...]
    expires: datetime | None
    references: tuple[str, ...] = ()
    events: Mapping[str, str] = field(default_factory=dict)  # the event's name in each language given
    instruction: Mapping[str, str] = field(default_factory=dict)  # what people should do, per language
    certainty: str = "likely"  # CAP certainty, as the source gave it
    # A received alert's origin: its sender, identifier and sent time as the source wrote them, and MeteoAlarm's
    # awareness level and type when given. Empty for the city's own alerts.
    origin: Mapping[str, str] = field(default_factory=dict)
    # The source says what it names is over (CAP responseType AllClear, or urgency Past): nothing to show.
    all_clear: bool = False

    def to_json(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "source": self.source,
            "sent": format_instant(self.sent),
            "msg_type": self.msg_type,
            "severity": self.severity,
            "urgency": self.urgency,
            "event": self.event,
            "headline": dict(self.headline),
            "description": dict(self.description),
            "zones": list(self.zones),
            "expires": format_instant(self.expires) if self.expires else None,
            "references": list(self.references),
            "events": dict(self.events),
            "instruction": dict(self.instruction),
            "certainty": self.certainty,
            **({"origin": dict(self.origin)} if self.origin else {}),
            **({"all_clear": True} if self.all_clear else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> Alert:
        return cls(
            id=str(data["id"]),
            source=str(data["source"]),
            sent=parse_instant(data["sent"]),
            msg_type=str(data["msg_type"]),
            severity=str(data["severity"]),
            urgency=str(data["urgency"]),
            event=str(data["event"]),
            headline=dict(data["headline"]),
            description=dict(data["description"]),
            zones=tuple(data["zones"]),
            expires=parse_instant(data["expires"]) if data.get("expires") else None,
            references=tuple(data.get("references", ())),
            events=dict(data.get("events", {})),
            instruction=dict(data.get("instruction", {})),
            certainty=str(data.get("certainty", "likely")),
            origin={str(k): str(v) for k, v in dict(data.get("origin") or {}).items()},
            all_clear=data.get("all_clear") is True,
        )


@dataclass(frozen=True, slots=True)
class Message:
    """Something to show: a template and its parameters, where, how important, until when."""

    id: str
    lane: Lane
    priority: int
    template: str
    params: Mapping[str, JSON]
    targets: Targets
    channels: tuple[str, ...]
    activated_at: datetime
    expires_at: datetime | None
    source: str
    severity: str | None = None

    def to_json(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "lane": self.lane.name.lower(),
            "priority": self.priority,
            "template": self.template,
            "params": dict(self.params),
            "targets": self.targets.to_json(),
            "channels": list(self.channels),
            "activated_at": format_instant(self.activated_at),
            "expires_at": format_instant(self.expires_at) if self.expires_at else None,
            "source": self.source,
            "severity": self.severity,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> Message:
        return cls(
            id=str(data["id"]),
            lane=Lane[str(data["lane"]).upper()],
            priority=int(data["priority"]),
            template=str(data["template"]),
            params=dict(data["params"]),
            targets=Targets.from_json(data["targets"]),
            channels=tuple(data["channels"]),
            activated_at=parse_instant(data["activated_at"]),
            expires_at=parse_instant(data["expires_at"]) if data.get("expires_at") else None,
            source=str(data["source"]),
            severity=data.get("severity"),
        )

    def same_content(self, other: Message) -> bool:
        """Whether a re-fired message changes nothing anyone would see."""
        return (
            self.template == other.template
            and dict(self.params) == dict(other.params)
            and self.targets == other.targets
            and self.lane == other.lane
            and self.priority == other.priority
            and self.expires_at == other.expires_at
        )
