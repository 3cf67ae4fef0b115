"""The types a city's fields are written in, each checked alone: an id, a duration (``90s``, ``15m``), a
latitude, a CIDR block, a CEL expression, a quiet-hours window, a size (``64KiB``), a time zone, the city's
languages, a CAP sender. Each says what is wrong in the engine's words and publishes its JSON Schema."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from signage.dead_letter_limits import parse_size
from signage.rules import RuleProblem, compile_expression
from signage.schedule import TimeWindow
from signage.template_filters import known_language
from signage.timeutil import parse_duration

__all__ = ["Duration", "Expression", "Identifier", "Languages", "Latitude", "Longitude", "Names", "Network",
           "OneOrMany", "QuietHours", "Sender", "Size", "Text", "TimeZone", "Variable"]

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
T = TypeVar("T")
OneOrMany = Annotated[list[T], BeforeValidator(_one_or_many)]  # ``x`` or ``[x, y]``
QuietHours = Annotated[TimeWindow | None, BeforeValidator(_quiet_hours),
                       WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"},
                                                 {"type": "null"}, {"const": "none"}]})]
Size = Annotated[int, BeforeValidator(parse_size),
                 WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]})]


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


TimeZone = Annotated[str, AfterValidator(_time_zone)]
Languages = Annotated[list[str], AfterValidator(_languages)]
Sender = Annotated[str, AfterValidator(_cap_sender)]
