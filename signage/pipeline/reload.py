"""A configuration edited while the engine runs: a new pipeline that keeps what is known. Pure."""

from __future__ import annotations

from datetime import datetime

from signage.config import Config
from signage.model import Lane, Observation
from signage.pipeline.flow import Pipeline
from signage.pipeline.outcome import Outcome

__all__ = ["carried_over", "reloaded"]


def reloaded(old: Pipeline, config: Config, now: datetime) -> tuple[Pipeline, Outcome]:
    """A pipeline for a configuration edited while ``old`` runs, keeping what is known (``carried_over``)."""
    return carried_over(old, old.fresh(config), now)


def carried_over(old: Pipeline, new: Pipeline, now: datetime) -> tuple[Pipeline, Outcome]:
    """``new`` (for the new configuration) with ``old``'s live values, alerts (where their zones still exist),
    operators' messages, scheduled broadcasts, push history and what each panel shows (so that unchanged panels
    are not sent again); then started."""
    for value in old.state.values():
        new.state.apply(Observation(value.key, value.fields, value.observed_at, value.source))
    new.board.contents = {p: c for p, c in old.contents.items() if p in new.config.panels}
    new.push_gate.carry_over(old.push_gate)
    new.topics.indexed = set(old.topics.indexed)
    outcome = Outcome()
    for alert in old.alerts.values():
        zones = new.alert_book.zones(alert)
        if zones:
            new.alerts[alert.id] = alert
            new.show(new.alert_book.message(alert, zones), now, outcome)
    for message in old.messages.values():
        if message.lane is Lane.OPERATOR:
            new.show(message, now, outcome)
    for message in old.scheduled.values():
        new.put_scheduled(message)
    outcome.extend(new.start(now))
    return new, outcome
