"""Rules: CEL expressions over the live state decide which messages are active. Pure: ``now`` is passed in.

Each rule is compiled once at load. An index from the state keys an expression names (``state["parking/darcy"]``)
to the rules that read them means a change only wakes the rules it concerns. A rule that reads a stale or missing
value does not fire, and says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import cel

from signage.model import RuleConfig
from signage.state import LiveState

__all__ = ["RuleBook", "RuleOutcome", "RuleProblem", "compile_expression", "state_keys"]

_STATE_KEY = re.compile(r"""state\s*\[\s*(?:"([^"\\]+)"|'([^'\\]+)')\s*\]""")
MAX_EXPRESSION_CHARS = 4000


class RuleProblem(ValueError):
    """An expression that does not compile."""


def compile_expression(text: str) -> Any:
    if len(text) > MAX_EXPRESSION_CHARS:
        raise RuleProblem(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        return cel.compile(text)
    except (ValueError, RuntimeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuleProblem(f"invalid CEL expression: {first}") from exc


def state_keys(text: str) -> frozenset[str]:
    """The live-state keys an expression names literally."""
    return frozenset(a or b for a, b in _STATE_KEY.findall(text))


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule_id: str
    matched: bool
    reason: str
    params: Mapping[str, Any]
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Compiled:
    config: RuleConfig
    when: Any
    params: Mapping[str, Any]
    inputs: frozenset[str]
    reads_all_state: bool


def _time_context(now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    local = now.astimezone(tz)
    return {
        "iso": local.isoformat(),
        "hour": local.hour,
        "minute": local.minute,
        "weekday": local.isoweekday(),
        "date": local.date().isoformat(),
    }


class RuleBook:
    def __init__(self, rules: Sequence[RuleConfig], timezone: str = "Europe/Paris") -> None:
        self._tz = ZoneInfo(timezone)
        self._rules: dict[str, _Compiled] = {}
        self._by_key: dict[str, list[str]] = {}
        self._always: list[str] = []
        for rule in rules:
            sources = [rule.when, *rule.params.values()]
            inputs = frozenset().union(*(state_keys(s) for s in sources))
            # An expression that reads state other than through a literal key cannot be indexed.
            reads_all = any(re.search(r"\bstate\b(?!\s*\[\s*[\"'])", s) for s in sources)
            compiled = _Compiled(
                rule, compile_expression(rule.when),
                {name: compile_expression(expr) for name, expr in rule.params.items()},
                inputs, reads_all,
            )
            self._rules[rule.id] = compiled
            if reads_all or not inputs:
                self._always.append(rule.id)
            for key in inputs:
                self._by_key.setdefault(key, []).append(rule.id)

    def ids(self) -> list[str]:
        return list(self._rules)

    def config(self, rule_id: str) -> RuleConfig:
        return self._rules[rule_id].config

    def affected_by(self, keys: Iterable[str]) -> list[str]:
        """Rule ids to evaluate after ``keys`` changed, in declaration order."""
        wanted = set(self._always)
        for key in keys:
            wanted.update(self._by_key.get(key, ()))
        return [rule_id for rule_id in self._rules if rule_id in wanted]

    def evaluate(self, rule_id: str, state: LiveState, now: datetime) -> RuleOutcome:
        rule = self._rules[rule_id]
        inputs = tuple(sorted(rule.inputs))
        views: dict[str, Any] = {}
        keys: Iterable[str] = (v.key for v in state.values()) if rule.reads_all_state else inputs
        for key in keys:
            value = state.get(key)
            if value is not None:
                views[key] = value.view(now)
        for key in inputs:
            if key not in views:
                return RuleOutcome(rule_id, False, f"input {key!r} has no value yet", {}, inputs)
            if views[key]["stale"]:
                return RuleOutcome(
                    rule_id, False, f"input {key!r} is stale ({views[key]['age_s']:.0f} s old)", {}, inputs
                )
        context = {"state": views, "now": _time_context(now, self._tz)}
        try:
            matched = rule.when.execute(context)
        except Exception as exc:  # the CEL runtime raises several types; any of them means "cannot decide"
            return RuleOutcome(rule_id, False, f"when could not be evaluated: {exc}", {}, inputs)
        if matched is not True:
            if not isinstance(matched, bool):
                return RuleOutcome(rule_id, False, f"when gave {matched!r}, not true or false", {}, inputs)
            return RuleOutcome(rule_id, False, "when is false", {}, inputs)
        params: dict[str, Any] = {}
        for name, program in rule.params.items():
            try:
                params[name] = program.execute(context)
            except Exception as exc:
                return RuleOutcome(rule_id, False, f"parameter {name!r} could not be evaluated: {exc}", {},
                                   inputs)
        return RuleOutcome(rule_id, True, "when is true", params, inputs)
