"""What ``signage check`` proves of a rule's expressions before it ever runs. Pure.

The CEL package the engine uses has no type checker of its own, so each expression is run once against
declarations: every live value it names, with the fields the feeds of that key's family produce, each a value of
its type (``state["parking/darcy"].free`` an integer), ``now`` and ``event`` as the engine gives them. What only a
run would otherwise find comes out at load, with the rule's line: a name that is not declared (``truee``), types
that do not go together (``free >= "30"``: CEL never converts a string to a number), a field no feed of that
family produces (``.fre``). A family whose fields the configuration leaves open (an MQTT or webhook feed keeping
whatever its producer sends) is checked for names and types only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from signage.model import FeedConfig, RuleConfig
from signage.rules import RuleProblem, compile_expression, state_keys

__all__ = ["FAMILY_FIELDS", "expression_problems", "open_families"]

_INSTANT = "2026-01-01T00:00:00Z"  # a field holding an instant holds it as text: timestamp() reads it
# The fields each family of keys carries, as the decoders make them, with a value of each one's type.
FAMILY_FIELDS: Mapping[str, Mapping[str, Any]] = {
    "parking": {"name": "", "free": 1, "capacity": 1, "occupied": 1, "occupancy": 0.5, "status": ""},
    "parking-spots": {"name": "", "status": "", "site": "", "category": []},
    "air": {"index": 1, "label": "", "colour": "", "no2": 1.0, "o3": 1.0, "pm10": 1.0, "pm25": 1.0, "so2": 1.0,
            "zone_name": "", "valid_for": _INSTANT, "level": "", "display": ""},
    "noise": {"laeq": 1.0, "lamax": 1.0, "las": 1.0, "laeq_d": 1.0, "lden": 1.0},
    "waste": {"street": "", "filling": 0.5, "status": "", "next_collection": _INSTANT, "last_emptied": _INSTANT},
    "vehicles": {"location": {}, "speed": 1.0, "bearing": 1.0, "status": "", "service": "", "route": "",
                 "streets": [], "lat": 1.0, "lon": 1.0, "trip": "", "line": ""},
    "traffic": {"intensity": 1, "occupancy": 0.5, "speed": 1.0, "congested": False, "direction": ""},
    "ngsi-alerts": {"category": "", "sub_category": "", "severity": "", "description": "", "valid_from": _INSTANT,
                    "valid_to": _INSTANT},
    "streetlights": {"power": "", "status": "", "group": ""},
    "transit": {"line": "", "disrupted": False, "disruptions": [], "header": ""},
}
_META = {"stale": False, "age_s": 1.0, "source": "", "observed_at": _INSTANT}
_CONTEXT_NAMES = ("state", "now", "event")
_SAMPLE_NOW = {"ts": datetime(2026, 1, 1, tzinfo=UTC), "iso": "", "hour": 1, "minute": 1, "weekday": 1, "date": ""}
_UNDEFINED = re.compile(r"^Undefined variable or function: '([^']+)'")
# What an expression may name besides the context: CEL's literals, types, functions and macros.
_CEL_NAMES = frozenset({
    "true", "false", "null", "in", "int", "uint", "double", "string", "bool", "bytes", "list", "map", "type", "dyn",
    "has", "size", "timestamp", "duration", "matches", "max", "min", "exists", "all", "exists_one", "filter",
})
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")
_BOUND = re.compile(r"\.\s*(?:exists_one|exists|all|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


def _unknown_names(text: str) -> list[str]:
    """Names an expression reads that nothing declares, found in the text itself: a trial run skips what a
    false ``&&`` leaves unevaluated."""
    code = _STRING.sub('""', text)
    bound = set(_BOUND.findall(code))
    names = dict.fromkeys(n for n in _NAME.findall(code) if n not in _CEL_NAMES and n not in _CONTEXT_NAMES)
    return [n for n in names if n not in bound]


def open_families(feeds: Iterable[FeedConfig]) -> set[str]:
    """The families whose fields the configuration leaves open: keys that an MQTT or webhook feed, or a mapping
    without ``fields`` or with fields of its own, fills with whatever its producer sends."""
    found: set[str] = set()
    for feed in feeds:
        mappings = list((feed.options.get("entities") or {}).values())
        if feed.format in ("mqtt", "webhook"):
            mappings.append({"key": feed.options.get("key", f"{feed.format}/{{id}}"),
                             "fields": feed.options.get("fields")})
        for mapping in mappings:
            if not isinstance(mapping, Mapping):
                continue
            family = str(mapping.get("key", "")).split("/", 1)[0]
            fields = mapping.get("fields")
            known = FAMILY_FIELDS.get(family, {})
            if not isinstance(fields, Mapping) or not fields or any(str(name) not in known for name in fields):
                found.add(family)  # fields of types nobody declared: names and types are checked only
    return found


def _view(key: str) -> dict[str, Any]:
    """A value of ``key`` as the engine would give it: its family's fields (none for a family nobody declared)
    and the fields every value has."""
    return {**FAMILY_FIELDS.get(key.split("/", 1)[0], {}), **_META}


def expression_problems(rule: RuleConfig, open_families: set[str]) -> list[tuple[str, str]]:
    """``(field, message)`` for each expression of ``rule`` that cannot run as written (``when``,
    ``clear_when`` or ``then.params.<name>``)."""
    expressions = [("when", rule.when), *([("clear_when", rule.clear_when)] if rule.clear_when else []),
                   *((f"then.params.{name}", text) for name, text in rule.params.items())]
    problems = []
    for field, text in expressions:
        problem = _problem(text, open_families)
        if problem:
            problems.append((field, problem))
    return problems


def _problem(text: str, open_families: set[str]) -> str:
    try:
        program = compile_expression(text)
    except RuleProblem as exc:
        return str(exc)
    unknown = _unknown_names(text)
    if unknown:
        return f"unknown name {unknown[0]!r} (an expression reads {', '.join(_CONTEXT_NAMES)})"
    views = {key: _view(key) for key in state_keys(text)}
    context = {"state": views, "now": _SAMPLE_NOW, "event": {"kind": "change", "keys": [], "source": ""}}
    try:
        program.execute(context)
    except RuntimeError as exc:
        if match := _UNDEFINED.search(str(exc)):
            return f"unknown name {match.group(1)!r} (an expression reads {', '.join(_CONTEXT_NAMES)})"
        return ""
    except TypeError as exc:
        return f"types that do not go together: {str(exc).split(':')[0]} (CEL never converts a text to a number)"
    except KeyError as exc:
        name = str(exc).strip("'\"")
        for key, view in views.items():
            family = key.split("/", 1)[0]
            reads = rf"\[\s*[\"']{re.escape(key)}[\"']\s*\]\s*\.\s*{re.escape(name)}\b"
            if family in FAMILY_FIELDS and family not in open_families and re.search(reads, text):
                known = ", ".join(sorted(n for n in view if n not in _META))
                return f"{key} has no field {name!r} (the {family} family has: {known})"
        return ""
    except Exception:  # a division by zero, an index on a sample value: only a run can tell
        return ""
    return ""
