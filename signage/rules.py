"""Rules: CEL expressions over the live state decide which messages are active. Pure: ``now`` is passed in.

Each rule is compiled once at load. An index from the state keys an expression names (``state["parking/darcy"]``)
to the rules that read them means a change only wakes the rules it concerns. A rule that reads a stale or missing
value does not fire, and says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


_META = ("stale", "age_s", "source", "observed_at")


@dataclass(frozen=True, slots=True)
class _Expression:
    source: str
    program: Any
    keys: frozenset[str]
    reads_all_state: bool  # reads state other than through a literal key, or the event: woken by every change
    handles_staleness: bool  # tests .stale or .age_s itself, so it is given stale values
    meta: frozenset[str]  # which of stale, age_s, source, observed_at it reads
    reads_now: bool
    reads_event: bool

    @classmethod
    def compile(cls, source: str) -> _Expression:
        reads_event = bool(re.search(r"\bevent\b", source))
        return cls(source, compile_expression(source), state_keys(source),
                   bool(re.search(r"\bstate\b(?!\s*\[\s*[\"'])", source)) or reads_event,
                   bool(re.search(r"\.\s*(stale|age_s)\b", source)),
                   frozenset(m for m in _META if re.search(rf"\.\s*{m}\b", source)),
                   bool(re.search(r"\bnow\b", source)), reads_event)


@dataclass(frozen=True, slots=True)
class _Compiled:
    config: RuleConfig
    when: _Expression
    clear_when: _Expression | None
    params: Mapping[str, _Expression]
    inputs: frozenset[str]
    reads_all_state: bool
    meta: frozenset[str]
    reads_now: bool
    reads_event: bool
    sorted_inputs: tuple[str, ...]  # what every outcome lists, sorted once
    all_params: frozenset[str]  # the parameters' names: what is evaluated when no input is stale or missing
    reading: tuple[str, ...]  # the parameters that read the state
    # One CEL program per (condition, set of available parameters): [cond, cond ? {"a": expr, …} : null]
    # converts the context once for the condition and all parameters, and skips the parameters when false.
    combined: dict[tuple[bool, frozenset[str]], Any] = field(default_factory=dict)

    @property
    def expressions(self) -> list[_Expression]:
        return [self.when, *([self.clear_when] if self.clear_when else []), *self.params.values()]

    def combined_program(self, clearing: bool, names: frozenset[str]) -> Any:
        key = (clearing, names)
        if key not in self.combined:
            condition = self.clear_when if clearing and self.clear_when else self.when
            holds = f"!({condition.source})" if clearing else f"({condition.source})"
            body = ", ".join(f"{json.dumps(name)}: ({self.params[name].source})" for name in sorted(names))
            source = f"[{condition.source}, {holds} ? {{{body}}} : null]"
            try:
                self.combined[key] = compile_expression(source)
            except RuleProblem:
                self.combined[key] = None  # too long: evaluate the parts one by one
        return self.combined[key]


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
    def __init__(self, rules: Sequence[RuleConfig], timezone: str = "UTC") -> None:
        self._tz = ZoneInfo(timezone)
        self._rules: dict[str, _Compiled] = {}
        self._by_key: dict[str, list[str]] = {}
        self._always: list[str] = []
        self._position = {rule.id: index for index, rule in enumerate(rules)}
        for rule in rules:
            when = _Expression.compile(rule.when)
            clear_when = _Expression.compile(rule.clear_when) if rule.clear_when else None
            params = {name: _Expression.compile(expr) for name, expr in rule.params.items()}
            expressions = [when, *([clear_when] if clear_when else []), *params.values()]
            keys = frozenset().union(*(e.keys for e in expressions))
            compiled = _Compiled(
                rule, when, clear_when, params, keys, any(e.reads_all_state for e in expressions),
                frozenset().union(*(e.meta for e in expressions)), any(e.reads_now for e in expressions),
                any(e.reads_event for e in expressions), tuple(sorted(keys)), frozenset(params),
                tuple(name for name, expression in params.items() if expression.keys),
            )
            self._rules[rule.id] = compiled
            if compiled.reads_all_state or not keys:
                self._always.append(rule.id)
            for key in keys:
                self._by_key.setdefault(key, []).append(rule.id)

    def ids(self) -> list[str]:
        return list(self._rules)

    def config(self, rule_id: str) -> RuleConfig:
        return self._rules[rule_id].config

    def inputs(self, rule_id: str) -> frozenset[str]:
        """Every state key the rule names."""
        return self._rules[rule_id].inputs

    def affected_by(self, keys: Iterable[str]) -> list[str]:
        """Rule ids to evaluate after ``keys`` changed, in declaration order."""
        wanted = set(self._always)
        for key in keys:
            wanted.update(self._by_key.get(key, ()))
        return sorted(wanted, key=self._position.__getitem__)

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
        inputs = rule.sorted_inputs
        condition = rule.clear_when if active and rule.clear_when is not None else rule.when
        values = {value.key: value for value in (
            state.values() if rule.reads_all_state else (state.get(key) for key in inputs)) if value is not None}
        stale = {key for key, value in values.items() if value.is_stale(now)}
        if not condition.handles_staleness:
            for key in sorted(condition.keys):
                if key not in values:
                    return RuleOutcome(rule_id, False, f"input {key!r} has no value yet", {}, inputs)
                if key in stale:
                    return RuleOutcome(rule_id, False,
                                       f"input {key!r} is stale ({values[key].age_s(now):.0f} s old)", {}, inputs)
        # Only what the expressions read is converted for CEL: the conversion is most of an evaluation's cost.
        views: dict[str, Any] = {}
        for key, value in values.items():
            if not rule.meta:
                views[key] = value.fields  # CEL copies what it reads; nothing here writes to it
                continue
            meta = {"stale": key in stale, "age_s": round(value.age_s(now), 3), "source": value.source,
                    "observed_at": value.observed_at_text}
            views[key] = {**value.fields, **{name: meta[name] for name in rule.meta}}
        context: dict[str, Any] = {"state": views}
        if rule.reads_now:
            context["now"] = _time_context(now, self._tz)
        if rule.reads_event:
            context["event"] = dict(event) if event is not None else {"kind": "time", "keys": [], "source": ""}
        if not rule.reads_all_state and len(values) == len(rule.inputs) and not stale:  # all there and fresh
            unavailable: list[str] = []
            available = rule.all_params
        else:
            unavailable = [name for name, expression in rule.params.items()
                           if not expression.handles_staleness
                           and any(key not in values or key in stale for key in expression.keys)]
            available = rule.all_params - set(unavailable)
        combined = rule.combined_program(condition is rule.clear_when, available)
        if combined is not None:
            try:
                both = combined.execute(context)
            except Exception:  # evaluate the parts one by one below, to say which failed
                both = None
            if isinstance(both, list) and isinstance(both[0], bool) and (both[1] is None or isinstance(both[1], dict)):
                return self._outcome(rule, condition, inputs, both[0], both[1], unavailable)
        try:
            result = condition.program.execute(context)
        except Exception as exc:  # the CEL runtime raises several types; any of them means "cannot decide"
            return RuleOutcome(rule_id, False, f"{_name(rule, condition)} could not be evaluated: {exc}", {}, inputs)
        if not isinstance(result, bool):
            return RuleOutcome(rule_id, False, f"{_name(rule, condition)} gave {result!r}, not true or false", {},
                               inputs)
        holds = (not result) if condition is rule.clear_when else result
        if not holds:
            return self._outcome(rule, condition, inputs, result, None, unavailable)
        try:
            evaluated = self._evaluate_params(rule, available, context)
        except _ParamFailed as failed:
            return RuleOutcome(rule_id, False, f"parameter {failed.name!r} could not be evaluated: "
                                               f"{failed.reason}", {}, inputs)
        return self._outcome(rule, condition, inputs, result, evaluated, unavailable)

    @staticmethod
    def _outcome(rule: _Compiled, condition: _Expression, inputs: tuple[str, ...], result: bool,
                 evaluated: dict[str, Any] | None, unavailable: list[str]) -> RuleOutcome:
        rule_id = rule.config.id
        clearing = condition is rule.clear_when
        if evaluated is None or (not result if not clearing else result):
            why = "clear_when is true" if clearing else "when is false"
            return RuleOutcome(rule_id, False, why, {}, inputs)
        if unavailable and rule.reading and set(rule.reading) <= set(unavailable):
            return RuleOutcome(rule_id, False, "every value it shows is stale or missing", {}, inputs,
                               tuple(unavailable))
        reason = "clear_when is false" if clearing else "when is true"
        if unavailable:
            reason += f"; shown as unavailable: {', '.join(unavailable)}"
        params = {name: (None if name in unavailable else evaluated[name]) for name in rule.params}
        return RuleOutcome(rule_id, True, reason, params, inputs, tuple(unavailable))

    @staticmethod
    def _evaluate_params(rule: _Compiled, names: frozenset[str], context: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in sorted(names):
            try:
                values[name] = rule.params[name].program.execute(context)
            except Exception as exc:
                raise _ParamFailed(name, str(exc)) from exc
        return values


class _ParamFailed(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name)
        self.name = name
        self.reason = reason


def _name(rule: _Compiled, condition: _Expression) -> str:
    return "clear_when" if condition is rule.clear_when else "when"
