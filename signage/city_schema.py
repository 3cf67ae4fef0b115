"""The configuration's schema, declared once: what a city's YAML may say, with its types, defaults and ranges.

``signage check`` validates against it (every error as ``file:line: field: message``), the engine loads through it,
and ``signage schema`` publishes it as JSON Schema so that an editor checks the YAML as it is typed. What one
field alone decides is here (a duration, a window, a CEL expression, a CIDR block, a time zone); what needs the
whole city (a panel's zone exists, ids are unique, a rule's template exists) is in ``signage.config``.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from signage.dead_letter_limits import DeadLetterLimits, parse_size
from signage.model import ProfileKind
from signage.rules import RuleProblem, compile_expression
from signage.schedule import TimeWindow
from signage.template_filters import known_language
from signage.timeutil import parse_duration

__all__ = ["CHANNELS", "FEED_FORMATS", "CitySchema", "FeedSchema", "PushSchema", "RuleSchema", "ScheduledSchema"]

FEED_FORMATS = ("ngsi-v2", "ngsi-ld", "gtfs-rt", "siri", "cap", "datex2", "atmo", "mqtt", "webhook", "http-poll")
CHANNELS = ("panels", "kiosks", "websocket", "push")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DURATION_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|min|h|d)?\s*$"}],
                    "description": "seconds, or 90s, 15m, 2h, 1d"}


def _between(low: float, high: float) -> AfterValidator:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value
    return AfterValidator(check)


Latitude = Annotated[float, _between(-90, 90), Field(json_schema_extra={"minimum": -90, "maximum": 90})]
Longitude = Annotated[float, _between(-180, 180), Field(json_schema_extra={"minimum": -180, "maximum": 180})]


def _identifier(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a valid id (lowercase letters, digits, . _ -)")
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must be non-empty text")
    return value


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)


def _variable(value: str) -> str:
    if not _VARIABLE.match(value):
        raise ValueError("must name an environment variable")
    return value


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an address or CIDR block") from exc
    return value


def _expression(value: str) -> str:
    try:
        compile_expression(value)
    except RuleProblem as exc:
        raise ValueError(str(exc)) from exc
    return value


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _quiet_hours(value: object) -> TimeWindow | None:
    if value in (None, False, "none"):
        return None
    if isinstance(value, TimeWindow):
        return value
    return TimeWindow.parse(str(value))


Identifier = Annotated[str, AfterValidator(_identifier), WithJsonSchema({"type": "string",
                                                                          "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"})]
Text = Annotated[str, AfterValidator(_text)]
Duration = Annotated[timedelta, BeforeValidator(_duration), WithJsonSchema(_DURATION_SCHEMA)]
Variable = Annotated[str, AfterValidator(_variable)]
Network = Annotated[str, AfterValidator(_network)]
Expression = Annotated[str, AfterValidator(_expression), WithJsonSchema({"type": "string",
                                                                          "description": "a CEL expression"})]
Names = Annotated[list[str], BeforeValidator(_one_or_many)]
QuietHours = Annotated[TimeWindow | None, BeforeValidator(_quiet_hours),
                       WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"},
                                                 {"type": "null"}, {"const": "none"}]})]
Size = Annotated[int, BeforeValidator(parse_size),
                 WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]})]


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
    channels: Annotated[list[Literal[CHANNELS]], BeforeValidator(_one_or_many)] = [  # type: ignore[valid-type]
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


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (an IANA name, such as Europe/Paris)") from exc
    return value


def _languages(value: list[str]) -> list[str]:
    unknown = [language for language in value if not known_language(language)]
    if unknown:
        raise ValueError(f"unknown language {unknown[0]!r} (a code such as fr, en, de, pt-BR)")
    if not value:
        raise ValueError("at least one language: the city's own, first")
    return value


def _cap_sender(value: str) -> str:
    if not re.fullmatch(r"[^\s,<&]+", value):
        raise ValueError("must have no spaces, commas, '<' or '&' (CAP 1.2 sender)")
    return value


class CitySchema(_Schema):
    """A city's configuration file."""

    city: str = ""
    timezone: Annotated[str, AfterValidator(_time_zone)]  # an IANA name: the city's clocks, never guessed
    languages: Annotated[list[str], AfterValidator(_languages)]  # the city's own first
    cap_sender: Annotated[str, AfterValidator(_cap_sender)] = "signage@localhost"
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
