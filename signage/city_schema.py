"""The configuration's schema, declared once: what a city's YAML may say, with its types, defaults and ranges.

``signage check`` validates against it (every error as ``file:line: field: message``), the engine loads through it,
and ``signage schema`` publishes it as JSON Schema so that an editor checks the YAML as it is typed. What one
field alone decides is here (a duration, a window, a CEL expression, a CIDR block, a time zone); what needs the
whole city (a panel's zone exists, ids are unique, a rule's template exists) is in ``signage.config``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from signage.city_fields import (
    Duration,
    Expression,
    Identifier,
    Languages,
    Latitude,
    Longitude,
    Names,
    Network,
    OneOrMany,
    QuietHours,
    Sender,
    Size,
    Text,
    TimeZone,
    Variable,
)
from signage.dead_letter_limits import DeadLetterLimits
from signage.model import ProfileKind
from signage.schedule import TimeWindow

__all__ = ["CHANNELS", "FEED_FORMATS", "CitySchema", "FeedSchema", "PushSchema", "RuleSchema", "ScheduledSchema"]

FEED_FORMATS = ("ngsi-v2", "ngsi-ld", "gtfs-rt", "siri", "cap", "datex2", "atmo", "mqtt", "webhook", "http-poll")
CHANNELS = ("panels", "kiosks", "websocket", "push")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, arbitrary_types_allowed=True)


class ProfileSchema(_Schema):
    kind: Literal["character", "line", "full", "kiosk"]
    width_px: int = Field(gt=0)
    height_px: int = Field(gt=0)
    lines: int = Field(gt=0)
    chars_per_line: int = Field(gt=0)
    colour: Text = "amber"
    font: Text = "5x7"
    fonts: Names = []
    max_pages: int = Field(default=4, gt=0)
    page_time_s: float = Field(default=3.0, gt=0)

    @property
    def profile_kind(self) -> ProfileKind:
        return ProfileKind(self.kind)


class ZoneSchema(_Schema):
    id: Identifier
    name: Text
    codes: Names = []
    parent: str | None = None


class NtcipSchema(_Schema):
    """A real NTCIP 1203 sign behind the panel: the engine writes its message over SNMP and watches its health."""

    address: str = Field(description="host:port of the sign's SNMP agent (port 161 when left out)")
    version: Literal["2c", "3"] = "2c"
    community_env: Variable | None = None
    user: str | None = None
    auth_key_env: Variable | None = None
    priv_key_env: Variable | None = None
    auth_protocol: Literal["SHA-224", "SHA-256", "SHA-384", "SHA-512"] = "SHA-256"
    priv_protocol: Literal["AES-128", "AES-192", "AES-256"] = "AES-128"
    slot: int = Field(default=1, ge=1, le=65534)
    duration: Duration = timedelta(minutes=10)
    community: None = Field(default=None, description="never here: name the variable that holds it (community_env)")

    @field_validator("community", mode="before")
    @classmethod
    def _no_community(cls, value: Any) -> None:
        raise ValueError("a secret never goes in the configuration file: name its variable with community_env")

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        host, _, port = value.rpartition(":") if ":" in value else (value, "", "161")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, the port 1-65535")
        return value

    @model_validator(mode="after")
    def _v3_keys(self) -> NtcipSchema:
        if self.version == "3" and not (self.user and self.auth_key_env and self.priv_key_env):
            raise ValueError("SNMPv3 needs user, auth_key_env and priv_key_env (authPriv)")
        return self

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= value <= timedelta(minutes=65534):
            raise ValueError("must be between 1 minute and 65534 minutes (a sign counts whole minutes)")
        return value


class PanelSchema(_Schema):
    id: Identifier
    name: Text
    place: str = ""
    lat: Latitude
    lon: Longitude
    zone: Text
    profile: Text
    tags: Names = []
    language: str | None = None  # the city's first language unless said
    default_template: Text = "default"
    stream: str | None = None
    ntcip: NtcipSchema | None = None


class PushSchema(_Schema):
    quiet_hours: QuietHours = TimeWindow.parse("22:00-07:00")
    min_interval: Duration = timedelta(minutes=15)


class TopicSchema(_Schema):
    pattern: Text
    title: Text
    public: bool = True
    push: PushSchema | None = None


class EntityMappingSchema(_Schema):
    key: Text
    fields: dict[str, str]

    @field_validator("key")
    @classmethod
    def _has_id(cls, value: str) -> str:
        if "{id}" not in value:
            raise ValueError("must contain {id} (the entity's short id)")
        return value


class DeadLettersSchema(_Schema):
    max_count: int = Field(default=DeadLetterLimits.DEFAULT.max_count, ge=0)
    max_bytes: Size = DeadLetterLimits.DEFAULT.max_bytes
    keep: Duration = DeadLetterLimits.DEFAULT.keep


class FeedSchema(_Schema):
    """A feed; options of its format beyond these (``routes``, ``key``, ``fields``…) are kept as they are."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
    id: Identifier
    format: Literal[FEED_FORMATS]  # type: ignore[valid-type]
    max_age: Duration = timedelta(minutes=15)
    auth: Literal["token"] | None = None
    allow_anonymous: bool = False
    allow_from: list[Network] = []
    senders: Names | None = None
    secret_env: Variable | None = None
    username_env: Variable | None = None
    password_env: Variable | None = None
    ca_file_env: Variable | None = None
    headers_env: dict[str, Variable] = {}
    dead_letters: DeadLettersSchema = DeadLettersSchema()
    entities: dict[str, EntityMappingSchema] | None = None
    url: str | None = None
    broker: str | None = None
    stop_names: dict[str, str] | None = Field(default=None, description="gtfs-rt: stop_id → the name riders read")
    stops_file: str | None = Field(default=None, description="gtfs-rt: a static GTFS stops.txt naming the stops "
                                                             "(relative to this file)")
    secret: None = Field(default=None, description="never here: name the variable that holds it (secret_env)")

    @field_validator("secret", mode="before")
    @classmethod
    def _no_secret(cls, value: object) -> None:
        raise ValueError("a secret never goes in the configuration file: name its variable with secret_env")


class TargetsSchema(_Schema):
    everywhere: bool = False
    panels: Names = []
    zones: Names = []
    tags: Names = []
    topics: Names = []


class ThenSchema(_Schema):
    template: Text
    params: dict[str, Expression] = {}
    targets: TargetsSchema
    channels: OneOrMany[Literal[CHANNELS]] = [  # type: ignore[valid-type]
        "panels", "kiosks", "websocket"]
    priority: int = Field(default=50, ge=0, le=100)
    ttl: Duration | None = None
    push: PushSchema | None = None


class ScheduledSchema(_Schema):
    """Content in the schedule lane: shown in its windows, with no condition."""

    id: Identifier
    description: str = ""
    schedule: dict[str, Any]
    clear_when: Expression | None = None
    for_: Duration = Field(default=timedelta(0), alias="for")
    cooldown: Duration = timedelta(0)
    then: ThenSchema
    when: None = Field(default=None, description="not here: scheduled content has a schedule, not a condition")

    @field_validator("when", mode="before")
    @classmethod
    def _no_condition(cls, value: object) -> None:
        raise ValueError("scheduled content has a schedule, not a condition")


class RuleSchema(_Schema):
    id: Identifier
    description: str = ""
    when: Expression
    clear_when: Expression | None = None
    for_: Duration = Field(default=timedelta(0), alias="for")
    schedule: dict[str, Any] | None = None
    cooldown: Duration = timedelta(0)
    then: ThenSchema


class CitySchema(_Schema):
    """A city's configuration file."""

    city: str = ""
    timezone: TimeZone  # an IANA name: the city's clocks, never guessed
    languages: Languages  # the city's own first
    cap_sender: Sender = "signage@localhost"
    trusted_proxies: list[Network] = []
    profiles: dict[str, ProfileSchema] = {}
    zones: list[ZoneSchema] = []
    panels: list[PanelSchema] = []
    feeds: list[FeedSchema] = []
    topics: list[TopicSchema] = []
    push: PushSchema = PushSchema()
    rules: list[RuleSchema] = []
    scheduled: list[ScheduledSchema] = []
    templates_dir: str | None = None
