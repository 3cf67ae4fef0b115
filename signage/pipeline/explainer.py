"""Why a panel shows what it shows: the winner and its lane, what it beat and why, the broadcasts still to come,
every rule that targets the panel with whether it matched and why, every live value those rules read (with its
age and source), and the alerts in force there. Read-only: explaining changes nothing. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from signage.board import Decision, targets_panel
from signage.model import Message, Panel
from signage.rules import RuleBook, RuleOutcome
from signage.state import LiveState
from signage.timeutil import format_instant

__all__ = ["explain"]


def explain(panel: Panel, chain: list[str], decision: Decision | None, now: datetime, *, rules: RuleBook,
            outcomes: Mapping[str, RuleOutcome], state: LiveState, scheduled: Iterable[Message],
            alerts: list[dict[str, Any]], unfit: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``scheduled``: the operators' broadcasts still to come for this panel; ``alerts``: those in force there;
    ``unfit``: the messages its sign cannot hold, with why (``Refusal.to_json``)."""
    rule_lines = []
    keys: set[str] = set()
    for rule_id in rules.ids():
        rule = rules.config(rule_id)
        if not targets_panel(rule.targets, panel, chain):
            continue
        result = outcomes.get(rule_id)
        rule_lines.append({"id": rule_id, "description": rule.description, "line": rule.line,
                           "matched": bool(result and result.matched),
                           "reason": result.reason if result else "not evaluated yet",
                           "unavailable": list(result.unavailable) if result else []})
        keys |= rules.inputs(rule_id)
    values = []
    for key in sorted(keys):
        value = state.get(key)
        if value is None:
            values.append({"key": key, "missing": True})
        else:
            values.append({"key": key, "value": dict(value.fields), "source": value.source,
                           "observed_at": format_instant(value.observed_at), "stale": value.is_stale(now),
                           "age_s": round(value.age_s(now), 3), "max_age_s": value.max_age.total_seconds()})
    shown = decision.shown if decision else ()
    return {
        "panel": panel.id,
        "at": format_instant(now),
        "reason": decision.reason if decision else "not resolved yet",
        "lane": decision.lane.name.lower() if decision else "default",
        "shown": [{"id": m.id, "lane": m.lane.name.lower(), "priority": m.priority, "source": m.source,
                   "template": m.template, "params": dict(m.params)} for m in shown],
        "competing": [{"id": mid, "why": why} for mid, why in (decision.competing if decision else ())],
        "unfit": unfit or [],
        "scheduled": [{"id": m.id, "starts_at": format_instant(m.activated_at), "source": m.source}
                      for m in sorted(scheduled, key=lambda m: (m.activated_at, m.id))],
        "rules": rule_lines,
        "values": values,
        "alerts": alerts,
    }
