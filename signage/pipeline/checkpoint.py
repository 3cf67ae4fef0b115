"""An engine's state as one JSON document, so that a restarted engine goes on where it was instead of replaying
the past. Pure.

A checkpoint is taken between two steps, when everything decided has been published: the live values, the
messages in force (every lane), scheduled broadcasts, alerts, each rule's clock, what was pushed on each topic,
what each panel shows and which public topics exist. ``restored`` builds a pipeline holding all of it, then starts
it: rules are looked at once more and panels resolved again, and only what differs from the checkpoint comes out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from signage.model import Alert, Message, Observation
from signage.pipeline.flow import Pipeline
from signage.pipeline.outcome import Outcome, Publication
from signage.protocol import alerts_topic
from signage.timeutil import format_instant, parse_instant

__all__ = ["CHECKPOINT_VERSION", "restored", "snapshot"]

CHECKPOINT_VERSION = 1


def snapshot(pipeline: Pipeline, now: datetime) -> dict[str, Any]:
    """``pipeline``'s state at ``now`` as JSON; take it only between steps (after an outcome was published)."""
    return {
        "v": CHECKPOINT_VERSION,
        "at": format_instant(now),
        "values": [{"key": v.key, "fields": dict(v.fields), "observed_at": format_instant(v.observed_at),
                    "source": v.source} for v in pipeline.state.values()],
        "alerts": [a.to_json() for a in pipeline.alerts.values()],
        "messages": [m.to_json() for m in pipeline.messages.values()],
        "scheduled": [m.to_json() for m in pipeline.scheduled.values()],
        "rules": pipeline.runtime.clocks(),
        "push": pipeline.push_gate.remembered(),
        "panels": dict(pipeline.contents),
        "topics": sorted(pipeline.topics.indexed),
    }


def restored(pipeline: Pipeline, checkpoint: Any, now: datetime, *, republish: bool = False) -> Outcome:
    """Load ``checkpoint`` into ``pipeline`` (fresh, for the configuration in force now) and start it. What no
    longer exists in the configuration (a rule, a panel) is left out. ``republish``: the bus lost what was
    published (a new epoch), so every topic and panel comes out again. Raises ``ValueError`` for a document that
    is not a checkpoint this version reads."""
    if not isinstance(checkpoint, dict) or checkpoint.get("v") != CHECKPOINT_VERSION:
        raise ValueError(f"not a version {CHECKPOINT_VERSION} checkpoint")
    try:
        for value in checkpoint["values"]:
            pipeline.state.apply(Observation(str(value["key"]), dict(value["fields"]),
                                             parse_instant(value["observed_at"]), str(value["source"])))
        if not republish:  # values already stale at the checkpoint were published stale then
            pipeline.state.pop_stale(parse_instant(checkpoint["at"]))
        for alert in checkpoint["alerts"]:
            parsed = Alert.from_json(alert)
            pipeline.alerts[parsed.id] = parsed
        rules = set(pipeline.rules.ids())
        for data in checkpoint["messages"]:
            message = Message.from_json(data)
            if not message.id.startswith("rule:") or message.id.removeprefix("rule:") in rules:
                pipeline.hold(message)
        for data in checkpoint["scheduled"]:
            pipeline.put_scheduled(Message.from_json(data))
        pipeline.runtime.set_clocks(checkpoint["rules"])
        pipeline.push_gate.recall(checkpoint["push"])
        if not republish:
            pipeline.board.contents = {p: c for p, c in checkpoint["panels"].items() if p in pipeline.config.panels}
            pipeline.topics.indexed = set(checkpoint["topics"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"checkpoint unreadable: {exc!r}") from exc
    pipeline.topics.settle()  # what the checkpoint holds was published before it was taken
    outcome = Outcome()
    if republish:
        for value in pipeline.state.values():
            pipeline.topics.changed(value.key)
        zones = sorted({zone for alert in pipeline.alerts.values() for zone in pipeline.alert_book.zones(alert)})
        outcome.publications.extend(Publication(alerts_topic(z), pipeline.alert_book.document(z)) for z in zones)
    outcome.extend(pipeline.start(now))
    return outcome
