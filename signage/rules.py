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
    matched: bool  # the rule's condition holds (for an active rule with clear_when: it has not cleared)
    reason: str
    params: Mapping[str, Any]
    inputs: tuple[str, ...]
    unavailable: tuple[str, ...] = ()  # parameters whose values are stale or missing: shown as unavailable


@dataclass(frozen=True, slots=True)
class _Expression:
    source: str
    program: Any
    keys: frozenset[str]
    reads_all_state: bool  # reads state other than through a literal key, or the event: woken by every change
    handles_staleness: bool  # tests .stale or .age_s itself, so it is given stale values

    @classmethod
    def compile(cls, source: str) -> _Expression:
        return cls(source, compile_expression(source), state_keys(source),
                   bool(re.search(r"\bstate\b(?!\s*\[\s*[\"'])", source) or re.search(r"\bevent\b", source)),
                   bool(re.search(r"\.\s*(stale|age_s)\b", source)))


@dataclass(frozen=True, slots=True)
class _Compiled:
    config: RuleConfig
    when: _Expression
    clear_when: _Expression | None
    params: Mapping[str, _Expression]

    @property
    def expressions(self) -> list[_Expression]:
        return [self.when, *([self.clear_when] if self.clear_when else []), *self.params.values()]


def _time_context(now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    local = now.astimezone(tz)
    return {
        "ts": now,
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
            compiled = _Compiled(
                rule, _Expression.compile(rule.when),
                _Expression.compile(rule.clear_when) if rule.clear_when else None,
                {name: _Expression.compile(expr) for name, expr in rule.params.items()},
            )
            self._rules[rule.id] = compiled
            keys = frozenset().union(*(e.keys for e in compiled.expressions))
            if any(e.reads_all_state for e in compiled.expressions) or not keys:
                self._always.append(rule.id)
            for key in keys:
                self._by_key.setdefault(key, []).append(rule.id)

    def ids(self) -> list[str]:
        return list(self._rules)

    def config(self, rule_id: str) -> RuleConfig:
        return self._rules[rule_id].config

    def inputs(self, rule_id: str) -> frozenset[str]:
        """Every state key the rule names."""
        return frozenset().union(*(e.keys for e in self._rules[rule_id].expressions))

    def affected_by(self, keys: Iterable[str]) -> list[str]:
        """Rule ids to evaluate after ``keys`` changed, in declaration order."""
        wanted = set(self._always)
        for key in keys:
            wanted.update(self._by_key.get(key, ()))
        return [rule_id for rule_id in self._rules if rule_id in wanted]

    def every_rule(self) -> list[str]:
        """The baseline without the index: every rule, on every change (benchmarks compare against it)."""
        return list(self._rules)

    def evaluate(self, rule_id: str, state: LiveState, now: datetime, active: bool = False,
                 event: Mapping[str, Any] | None = None) -> RuleOutcome:
        """Whether the rule holds now, with its parameters; ``active`` selects ``clear_when`` when it has one.

        ``event`` is what just happened, as expressions see it: ``{"kind": "change", "keys": [...],
        "source": feed}``, ``{"kind": "time"}`` or ``{"kind": "start"}``.
        """
        rule = self._rules[rule_id]
        inputs = tuple(sorted(self.inputs(rule_id)))
        condition = rule.clear_when if active and rule.clear_when is not None else rule.when
        keys: Iterable[str] = (
            [v.key for v in state.values()] if any(e.reads_all_state for e in rule.expressions) else inputs
        )
        views = {key: value.view(now) for key in keys if (value := state.get(key)) is not None}
        if not condition.handles_staleness:
            for key in sorted(condition.keys):
                if key not in views:
                    return RuleOutcome(rule_id, False, f"input {key!r} has no value yet", {}, inputs)
                if views[key]["stale"]:
                    return RuleOutcome(rule_id, False,
                                       f"input {key!r} is stale ({views[key]['age_s']:.0f} s old)", {}, inputs)
        context = {"state": views, "now": _time_context(now, self._tz),
                   "event": dict(event) if event is not None else {"kind": "time", "keys": [], "source": ""}}
        try:
            result = condition.program.execute(context)
        except Exception as exc:  # the CEL runtime raises several types; any of them means "cannot decide"
            return RuleOutcome(rule_id, False, f"{_name(rule, condition)} could not be evaluated: {exc}", {}, inputs)
        if not isinstance(result, bool):
            return RuleOutcome(rule_id, False, f"{_name(rule, condition)} gave {result!r}, not true or false", {},
                               inputs)
        holds = (not result) if condition is rule.clear_when else result
        if not holds:
            why = "clear_when is true" if condition is rule.clear_when else "when is false"
            return RuleOutcome(rule_id, False, why, {}, inputs)
        params: dict[str, Any] = {}
        unavailable: list[str] = []
        for name, expression in rule.params.items():
            if not expression.handles_staleness and any(
                    key not in views or views[key]["stale"] for key in expression.keys):
                params[name] = None  # never shown as current: templates render it as unavailable
                unavailable.append(name)
                continue
            try:
                params[name] = expression.program.execute(context)
            except Exception as exc:
                return RuleOutcome(rule_id, False, f"parameter {name!r} could not be evaluated: {exc}", {}, inputs)
        reading = [name for name, expression in rule.params.items() if expression.keys]
        if reading and set(reading) <= set(unavailable):
            return RuleOutcome(rule_id, False, "every value it shows is stale or missing", {}, inputs,
                               tuple(unavailable))
        reason = "clear_when is false" if condition is rule.clear_when else "when is true"
        if unavailable:
            reason += f"; shown as unavailable: {', '.join(unavailable)}"
        return RuleOutcome(rule_id, True, reason, params, inputs, tuple(unavailable))


def _name(rule: _Compiled, condition: _Expression) -> str:
    return "clear_when" if condition is rule.clear_when else "when"
