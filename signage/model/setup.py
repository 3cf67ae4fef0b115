"""The city as it is set up: sign profiles, zones, panels, feeds, topic families, rules and their targets, lanes
and push policies. Frozen, validated where they are built."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from signage.schedule import Schedule, TimeWindow

__all__ = ["JSON", "FeedConfig", "Lane", "NtcipTarget", "Panel", "Profile", "ProfileKind", "PushPolicy",
           "RuleConfig", "StreamTarget", "Targets", "TopicConfig", "Zone"]

JSON = Any
DEFAULT_QUIET_HOURS = TimeWindow(time(22, 0), time(7, 0))


class ProfileKind(enum.StrEnum):
    """How a sign draws text (NTCIP 1203 ``dmsSignType`` families, plus web kiosks)."""

    CHARACTER = "character"
    LINE = "line"
    FULL = "full"
    KIOSK = "kiosk"


@dataclass(frozen=True, slots=True)
class Profile:
    """What a kind of panel can show."""

    name: str
    kind: ProfileKind
    width_px: int
    height_px: int
    lines: int
    chars_per_line: int
    colour: str = "amber"
    font: str = "5x7"
    max_pages: int = 4
    page_time_s: float = 3.0
    fonts: tuple[str, ...] = ()  # the sign's font table; empty means just ``font``

    @property
    def font_table(self) -> tuple[str, ...]:
        return self.fonts or (self.font,)


@dataclass(frozen=True, slots=True)
class Zone:
    """A place messages target; ``codes`` are what alerting systems call it (``NUTS3:FR261``, ``INSEE:21231``)."""

    id: str
    name: str
    codes: tuple[str, ...] = ()
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Panel:
    id: str
    name: str
    place: str
    lat: float
    lon: float
    zone: str
    profile: str
    tags: tuple[str, ...] = ()
    language: str = "en"  # a configured panel speaks its city's first language unless told
    default_template: str = "default"
    stream: StreamTarget | None = None  # a pixel wall fed frames over DDP or E1.31
    ntcip: NtcipTarget | None = None  # a real NTCIP 1203 sign driven over SNMP


@dataclass(frozen=True, slots=True)
class NtcipTarget:
    """A real sign the engine drives over SNMP. Secrets are named by their environment variables, never held."""

    host: str
    port: int = 161
    version: str = "2c"  # or "3"
    community_env: str | None = None  # SNMPv2c; "public" when not named
    user: str | None = None  # SNMPv3, authPriv
    auth_key_env: str | None = None
    priv_key_env: str | None = None
    auth_protocol: str = "SHA-256"
    priv_protocol: str = "AES-128"
    slot: int = 1  # changeable messages ``slot`` and ``slot + 1`` are used in turn
    duration: timedelta = timedelta(minutes=10)  # the sign's own message returns if no engine renews it


@dataclass(frozen=True, slots=True)
class StreamTarget:
    """Where a pixel wall listens: ``ddp://host[:port]`` or ``e131://host[:port][/first universe]``."""

    protocol: str
    host: str
    port: int
    universe: int = 1

    @classmethod
    def parse(cls, url: str) -> StreamTarget:
        """Raises ``ValueError`` with what is wrong."""
        scheme, sep, rest = url.partition("://")
        defaults = {"ddp": 4048, "e131": 5568}
        if not sep or scheme not in defaults:
            raise ValueError("must be ddp://host[:port] or e131://host[:port][/universe]")
        address, _, path = rest.partition("/")
        host, _, port_text = address.rpartition(":") if ":" in address else (address, "", "")
        if not host:
            raise ValueError("needs a host")
        try:
            port = int(port_text) if port_text else defaults[scheme]
            universe = int(path) if path else 1
        except ValueError as exc:
            raise ValueError("port and universe must be numbers") from exc
        if not 0 < port < 65536 or not 1 <= universe <= 63999:
            raise ValueError("port must be 1-65535 and universe 1-63999")
        return cls(scheme, host, port, universe)


@dataclass(frozen=True, slots=True)
class PushPolicy:
    """When a push may go: never in quiet hours (unless a severe or extreme alert), at most one per interval."""

    quiet_hours: TimeWindow | None = DEFAULT_QUIET_HOURS
    min_interval: timedelta = timedelta(minutes=15)

    def merge(self, other: PushPolicy | None) -> PushPolicy:
        """Both policies hold: the longer interval, and quiet hours if either has them (``other`` first)."""
        if other is None:
            return self
        return PushPolicy(other.quiet_hours or self.quiet_hours, max(self.min_interval, other.min_interval))


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """A family of public topics (``parking/*``) with a title for people, and its push policy."""

    pattern: str
    title: str
    public: bool = True
    push: PushPolicy | None = None


@dataclass(frozen=True, slots=True)
class FeedConfig:
    id: str
    format: str
    max_age: timedelta
    options: Mapping[str, JSON] = field(default_factory=dict)
    languages: tuple[str, ...] = ()  # the city's, in its order: which text of a multilingual feed to keep


@dataclass(frozen=True, slots=True)
class Targets:
    """Where a message goes. A panel matches by id, by zone (or a parent zone) or by any tag."""

    everywhere: bool = False
    panels: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JSON]:
        return {
            "everywhere": self.everywhere,
            "panels": list(self.panels),
            "zones": list(self.zones),
            "tags": list(self.tags),
            "topics": list(self.topics),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> Targets:
        return cls(
            everywhere=bool(data.get("everywhere", False)),
            panels=tuple(data.get("panels", ())),
            zones=tuple(data.get("zones", ())),
            tags=tuple(data.get("tags", ())),
            topics=tuple(data.get("topics", ())),
        )


class Lane(enum.IntEnum):
    """Who wins a face: a higher lane pre-empts every lower one."""

    DEFAULT = 0
    SCHEDULE = 1
    RULE = 2
    OPERATOR = 3
    ALERT = 4


@dataclass(frozen=True, slots=True)
class RuleConfig:
    id: str
    when: str
    template: str
    params: Mapping[str, str]
    targets: Targets
    channels: tuple[str, ...]
    priority: int
    ttl: timedelta | None
    line: int
    description: str = ""
    clear_when: str | None = None
    hold_for: timedelta = timedelta(0)  # ``for``: the condition must hold this long before firing
    schedule: Schedule | None = None
    cooldown: timedelta = timedelta(0)
    push: PushPolicy | None = None
    lane: Lane = Lane.RULE  # scheduled content is a rule in the schedule lane
