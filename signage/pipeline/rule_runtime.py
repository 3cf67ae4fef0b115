"""Where a rule fires: each rule's state over time (its ``for``, cooldown and schedule), as one table of moves.
Pure.

A rule is in one of four states: ``idle``, ``pending`` (its condition holds, but not for its ``for`` yet),
``active`` (its message is shown) and ``cooling`` (its message ended less than its ``cooldown`` ago). Each time it
is looked at, what its condition does is one event: ``outside`` its schedule, ``fails``, ``holds too soon`` (not
for its ``for`` yet) or ``holds``. ``MOVES`` says, for every state and event, the next state and what to do with
the rule's message: fire it (or renew it), clear it, or wait. Nothing else moves a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from signage.model import Message
from signage.rules import RuleBook, RuleOutcome
from signage.state import LiveState
from signage.timeutil import format_instant, parse_instant

__all__ = ["MOVES", "Action", "RuleEvent", "RuleRuntime", "RuleState", "Step"]


class RuleState(enum.StrEnum):
    IDLE = "idle"
    PENDING = "pending"
    ACTIVE = "active"
    COOLING = "cooling"


class RuleEvent(enum.StrEnum):
    OUTSIDE = "outside its schedule"
    FAILS = "fails"
    HOLDS_TOO_SOON = "holds, not for long enough yet"
    HOLDS = "holds"


class Action(enum.StrEnum):
    FIRE = "fire"  # show the rule's message, or renew it
    CLEAR = "clear"  # end the rule's message, if it is shown
    WAIT = "wait"  # nothing to show yet, nothing to end


MOVES: Mapping[tuple[RuleState, RuleEvent], tuple[RuleState, Action]] = {
    (RuleState.IDLE, RuleEvent.OUTSIDE): (RuleState.IDLE, Action.CLEAR),
    (RuleState.IDLE, RuleEvent.FAILS): (RuleState.IDLE, Action.WAIT),
    (RuleState.IDLE, RuleEvent.HOLDS_TOO_SOON): (RuleState.PENDING, Action.WAIT),
    (RuleState.IDLE, RuleEvent.HOLDS): (RuleState.ACTIVE, Action.FIRE),
    (RuleState.PENDING, RuleEvent.OUTSIDE): (RuleState.IDLE, Action.CLEAR),
    (RuleState.PENDING, RuleEvent.FAILS): (RuleState.IDLE, Action.WAIT),
    (RuleState.PENDING, RuleEvent.HOLDS_TOO_SOON): (RuleState.PENDING, Action.WAIT),
    (RuleState.PENDING, RuleEvent.HOLDS): (RuleState.ACTIVE, Action.FIRE),
    (RuleState.ACTIVE, RuleEvent.OUTSIDE): (RuleState.IDLE, Action.CLEAR),
    (RuleState.ACTIVE, RuleEvent.FAILS): (RuleState.COOLING, Action.CLEAR),  # cooling for its cooldown, maybe 0
    (RuleState.ACTIVE, RuleEvent.HOLDS_TOO_SOON): (RuleState.ACTIVE, Action.FIRE),  # its ``for`` was met before
    (RuleState.ACTIVE, RuleEvent.HOLDS): (RuleState.ACTIVE, Action.FIRE),
    (RuleState.COOLING, RuleEvent.OUTSIDE): (RuleState.COOLING, Action.CLEAR),
    (RuleState.COOLING, RuleEvent.FAILS): (RuleState.COOLING, Action.WAIT),
    (RuleState.COOLING, RuleEvent.HOLDS_TOO_SOON): (RuleState.COOLING, Action.WAIT),
    (RuleState.COOLING, RuleEvent.HOLDS): (RuleState.COOLING, Action.WAIT),
}


@dataclass(slots=True)
class _Clock:
    pending_since: datetime | None = None  # ``for``: when the condition started to hold
    cooldown_until: datetime | None = None
    wake_at: datetime | None = None  # when the rule must be looked at again even if nothing changes


@dataclass(slots=True)
class Step:
    """What looking at a rule decided: the move, the outcome operators read, and why a message ends."""

    state: RuleState
    action: Action
    outcome: RuleOutcome
    reason: str = ""  # for ``clear``: why the message ends


def _earliest(*instants: datetime | None) -> datetime | None:
    return min((i for i in instants if i is not None), default=None)


class RuleRuntime:
    def __init__(self, rules: RuleBook) -> None:
        self._rules = rules
        self._clocks = {rule_id: _Clock() for rule_id in rules.ids()}

    def clocks(self) -> dict[str, dict[str, str | None]]:
        """Each rule's clock as JSON (for a checkpoint)."""
        return {rule_id: {name: format_instant(at) if at else None for name, at in (
            ("pending_since", c.pending_since), ("cooldown_until", c.cooldown_until), ("wake_at", c.wake_at))}
            for rule_id, c in self._clocks.items()}

    def set_clocks(self, clocks: Mapping[str, Mapping[str, str | None]]) -> None:
        """Take back the clocks ``clocks()`` gave, for the rules that still exist."""
        for rule_id, clock in clocks.items():
            if rule_id in self._clocks:
                self._clocks[rule_id] = _Clock(*(parse_instant(str(clock[n])) if clock.get(n) else None
                                                 for n in ("pending_since", "cooldown_until", "wake_at")))

    def wake_at(self, rule_id: str) -> datetime | None:
        return self._clocks[rule_id].wake_at

    def due(self, deadline: datetime) -> list[str]:
        """The rules whose wake-up is at ``deadline`` or before."""
        return [rule_id for rule_id, clock in self._clocks.items()
                if clock.wake_at is not None and clock.wake_at <= deadline]

    def _state(self, clock: _Clock, active: bool, now: datetime) -> RuleState:
        if active:
            return RuleState.ACTIVE
        if clock.cooldown_until is not None and now < clock.cooldown_until:
            return RuleState.COOLING
        return RuleState.PENDING if clock.pending_since is not None else RuleState.IDLE

    def step(self, rule_id: str, state: LiveState, now: datetime, active: bool,
             event: Mapping[str, object] | None) -> Step:
        """Look at the rule now; ``active``: its message is shown."""
        rule = self._rules.config(rule_id)
        clock = self._clocks[rule_id]
        current = self._state(clock, active, now)
        schedule_wake = rule.schedule.next_change(now) if rule.schedule is not None else None
        if rule.schedule is not None and not rule.schedule.contains(now):
            until = f" until {format_instant(schedule_wake)}" if schedule_wake else ""
            outcome = RuleOutcome(rule_id, False, f"outside its schedule{until}", {},
                                  tuple(sorted(self._rules.inputs(rule_id))))
            return self._move(clock, current, RuleEvent.OUTSIDE, outcome, schedule_wake,
                              "cleared: outside its schedule", now)
        result = self._rules.evaluate(rule_id, state, now, active, event)
        if not result.matched:
            return self._move(clock, current, RuleEvent.FAILS, result, schedule_wake,
                              f"cleared: {result.reason}", now)
        pending_since = clock.pending_since or now
        fires_at = pending_since + rule.hold_for
        too_soon = bool(rule.hold_for) and now < fires_at
        step = self._move(clock, current, RuleEvent.HOLDS_TOO_SOON if too_soon else RuleEvent.HOLDS, result,
                          schedule_wake, "", now)
        if step.state is RuleState.COOLING:
            assert clock.cooldown_until is not None
            clock.wake_at = _earliest(clock.cooldown_until, schedule_wake)
            return replace(step, outcome=replace(result, matched=False, reason=(
                f"{result.reason}; cooling down until {format_instant(clock.cooldown_until)}")))
        if step.state is RuleState.PENDING:
            clock.pending_since = pending_since
            clock.wake_at = _earliest(fires_at, schedule_wake)
            return replace(step, outcome=replace(result, matched=False, reason=(
                f"{result.reason} since {format_instant(pending_since)}; fires at {format_instant(fires_at)} "
                "if it holds")))
        if current is not RuleState.ACTIVE and rule.hold_for:
            clock.pending_since = pending_since
        return step

    def message(self, rule_id: str, outcome: RuleOutcome, current: Message | None, now: datetime) -> Message:
        """The message a rule that fires shows, with the parameters it computed; ``current`` is the one it showed
        (its start is kept)."""
        rule = self._rules.config(rule_id)
        return Message(f"rule:{rule_id}", rule.lane, rule.priority, rule.template, outcome.params, rule.targets,
                       rule.channels, current.activated_at if current else now,
                       (now + rule.ttl) if rule.ttl else None, f"rule {rule_id}")

    def _move(self, clock: _Clock, current: RuleState, event: RuleEvent, outcome: RuleOutcome,
              schedule_wake: datetime | None, reason: str, now: datetime) -> Step:
        state, action = MOVES[(current, event)]
        clock.wake_at = schedule_wake
        if event in (RuleEvent.OUTSIDE, RuleEvent.FAILS):
            clock.pending_since = None
        if current is RuleState.ACTIVE and state is RuleState.COOLING:
            cooldown = self._rules.config(outcome.rule_id).cooldown
            if cooldown:
                clock.cooldown_until = now + cooldown
        return Step(state, action, outcome, reason)
