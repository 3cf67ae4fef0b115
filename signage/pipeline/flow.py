"""The whole flow after the feeds, as one pure object: observations and alerts in, records and publications out.

``signage replay`` drives it with the events' clock and prints the records; the engine drives it with the wall clock
and publishes the publications on the bus. Same code, same results. The ``Pipeline`` only orchestrates; each job is a
part of its own: the live state (``signage.state``), when rules fire (``RuleRuntime``), the alerts in force
(``AlertBook``), the push decisions (``PushGate``), what each panel shows (``PanelBoard``), the public topics
(``TopicPublisher``) and the "why" (``explain``). Work is proportional to what changed: a change wakes only the rules
that read the changed keys, and only the panels that a changed message targets are resolved again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from signage.board import Decision
from signage.config import Config
from signage.model import Alert, Lane, Message, Observation
from signage.pipeline.alert_book import AlertBook
from signage.pipeline.explainer import explain
from signage.pipeline.outcome import Outcome, Publication, Record
from signage.pipeline.panel_board import PanelBoard
from signage.pipeline.push_gate import PushGate
from signage.pipeline.rule_runtime import Action, RuleRuntime
from signage.pipeline.texts import Texts
from signage.pipeline.timers import Timers
from signage.pipeline.topic_publisher import TopicPublisher, message_summary
from signage.protocol import INDEX_TOPIC, PUSH_TOPIC, alerts_topic, panel_topic
from signage.rules import RuleBook, RuleOutcome
from signage.state import LiveState
from signage.timeutil import format_instant

__all__ = ["Pipeline"]


class Pipeline:
    """Live state, rules, board and renderers for one configuration."""

    def __init__(self, config: Config, *, use_index: bool = True, explain_changes: bool = False,
                 describe_messages: bool = True, record_deliveries: bool = True) -> None:
        """``use_index=False`` evaluates every rule on every change (the benchmarks' baseline); ``explain_changes``
        follows each change of a panel's content with an ``explain`` record; ``describe_messages`` adds each message's
        text to its record (for people reading a replay; the engine does without); ``record_deliveries`` adds a
        ``delivery`` record beside each publication (replay prints them; the engine publishes instead)."""
        self.config = config
        self._options = {"use_index": use_index, "explain_changes": explain_changes,
                         "describe_messages": describe_messages, "record_deliveries": record_deliveries}
        default_max_age = min((f.max_age for f in config.feeds.values()), default=timedelta(minutes=15))
        self.state = LiveState({f.id: f.max_age for f in config.feeds.values()}, default_max_age)
        self.rules = RuleBook(config.rules, config.timezone)
        self.runtime = RuleRuntime(self.rules)
        self.alert_book = AlertBook(config)
        self.push_gate = PushGate(config)
        self.board = PanelBoard(config)
        self.topics = TopicPublisher(t.pattern for t in config.topics if t.public)
        self.messages: dict[str, Message] = {}
        self.scheduled: dict[str, Message] = {}  # operators' messages that start later, by id
        self.outcomes: dict[str, RuleOutcome] = {}
        self.texts = Texts(config.templates)
        self._timers = Timers(self._timer_is_live)

    @property
    def alerts(self) -> dict[str, Alert]:
        return self.alert_book.alerts

    @property
    def decisions(self) -> dict[str, Decision]:
        return self.board.decisions

    @property
    def contents(self) -> dict[str, dict[str, Any]]:
        return self.board.contents

    def _timer_is_live(self, at: datetime, kind: str, ident: str) -> bool:
        if kind == "message":
            message = self.messages.get(ident)
            return message is not None and message.expires_at == at
        if kind == "start":
            scheduled = self.scheduled.get(ident)
            return scheduled is not None and scheduled.activated_at == at
        return self.runtime.wake_at(ident) == at

    def next_deadline(self) -> datetime | None:
        timer, stale = self._timers.next(), self.state.next_stale_at()
        return min(timer, stale) if timer is not None and stale is not None else timer or stale

    def start(self, now: datetime) -> Outcome:
        """Look at every rule once and render every panel: each has content (its default at least)."""
        outcome = Outcome()
        self._run_rules(self.rules.ids(), now, None, outcome, {"kind": "start", "keys": [], "source": ""})
        self.board.everything_changed()
        self._refresh(now, None, outcome)
        return outcome

    def advance(self, until: datetime) -> Outcome:
        """Let time pass to ``until``: expiries, staleness and rule wake-ups happen at their own instants."""
        outcome = Outcome()
        while (deadline := self.next_deadline()) is not None and deadline <= until:
            changed_keys: list[str] = []
            for value in self.state.pop_stale(deadline):
                changed_keys.append(value.key)
                self.topics.changed(value.key)
            for message in sorted(self.scheduled.values(), key=lambda m: m.id):
                if message.activated_at <= deadline:
                    del self.scheduled[message.id]
                    self._activate(message, deadline, None, outcome)
            for message in sorted(self.messages.values(), key=lambda m: m.id):
                if message.expires_at is not None and message.expires_at <= deadline:
                    self._withdraw(message.id, deadline, "expires" if message.lane is Lane.ALERT else "ttl",
                                   None, outcome)
            self._run_rules(self._wake(changed_keys, self.runtime.due(deadline)), deadline, None, outcome,
                            {"kind": "time", "keys": changed_keys, "source": ""})
            self._refresh(deadline, None, outcome)
        return outcome

    def ingest(self, observations: Iterable[Observation], alerts: Iterable[Alert], now: datetime,
               line: int | None = None) -> Outcome:
        outcome = self.advance(now)
        changed: list[str] = []
        sources: list[str] = []
        for observation in observations:
            value = self.state.apply(observation)
            if value is None:
                record = observation.to_json()
                record["ignored"] = "older than the value already held"
            else:
                record = {"key": observation.key, "value": dict(observation.value),
                          "observed_at": value.observed_at_text, "source": observation.source}
                changed.append(observation.key)
                sources.append(observation.source)
                self.topics.changed(observation.key)
            outcome.records.append(Record("observation", now, record, line))
        for alert in alerts:
            self._take_alert(alert, now, line, outcome)
        event = {"kind": "change", "keys": changed, "source": sources[0] if sources else ""}
        self._run_rules(self._wake(changed, []), now, line, outcome, event)
        self._refresh(now, line, outcome)
        return outcome

    def put_message(self, message: Message, now: datetime) -> Outcome:
        """An operator's broadcast or an emergency message: shown through the same board as everything else,
        from its ``activated_at`` on (a broadcast scheduled for later waits until then)."""
        outcome = self.advance(now)
        if message.expires_at is not None and message.expires_at <= now:
            return outcome  # already over (a command read again after a restart): never shown, not even briefly
        if message.activated_at > now:
            self.put_scheduled(message)
            return outcome
        self._activate(message, now, None, outcome)
        self._refresh(now, None, outcome)
        return outcome

    def put_scheduled(self, message: Message) -> None:
        """Hold a broadcast until its ``activated_at``."""
        self.scheduled[message.id] = message
        self._timers.add(message.activated_at, "start", message.id)

    def remove_message(self, message_id: str, now: datetime, reason: str) -> Outcome:
        """Stop a message everywhere at once."""
        outcome = self.advance(now)
        self.scheduled.pop(message_id, None)
        self._withdraw(message_id, now, reason, None, outcome)
        self._refresh(now, None, outcome)
        return outcome

    def _wake(self, changed: list[str], due: list[str]) -> list[str]:
        if not self._options["use_index"]:
            return self.rules.every_rule()
        rules = self.rules.affected_by(changed) if changed else []
        return rules + [r for r in due if r not in rules]

    def _take_alert(self, alert: Alert, now: datetime, line: int | None, outcome: Outcome) -> None:
        change = self.alert_book.take(alert, now)
        outcome.records.append(Record("alert", now, {**alert.to_json(), "resolved_zones": list(change.zones)},
                                      line))
        for message_id, reason in change.withdrawn:
            self._withdraw(message_id, now, reason, line, outcome)
        if change.refusal is not None:
            outcome.records.append(Record(change.refusal[0], now, change.refusal[1], line))
        if change.shown is not None:
            self._activate(change.shown, now, line, outcome)
        for zone in change.touched:
            self._published(alerts_topic(zone), self.alert_book.document(zone), now, line, outcome)

    def _run_rules(self, rule_ids: Iterable[str], now: datetime, line: int | None, outcome: Outcome,
                   event: Mapping[str, Any] | None = None) -> None:
        for rule_id in rule_ids:
            self._step_rule(rule_id, now, line, outcome, event)
            self._timers.add(self.runtime.wake_at(rule_id), "rule", rule_id)

    def _step_rule(self, rule_id: str, now: datetime, line: int | None, outcome: Outcome,
                   event: Mapping[str, Any] | None) -> None:
        message_id = f"rule:{rule_id}"
        step = self.runtime.step(rule_id, self.state, now, message_id in self.messages, event)
        self.outcomes[rule_id] = step.outcome
        if step.action is Action.CLEAR:
            self._withdraw(message_id, now, step.reason, line, outcome)
        if step.action is not Action.FIRE:
            return
        current = self.messages.get(message_id)
        message = self.runtime.message(rule_id, step.outcome, current, now)
        if current is not None and current.same_content(replace(message, expires_at=current.expires_at)):
            self.messages[message_id] = message  # only the time to live is renewed, which nobody sees
            self._timers.add(message.expires_at, "message", message_id)
            return
        self._activate(message, now, line, outcome)

    def _activate(self, message: Message, now: datetime, line: int | None, outcome: Outcome) -> None:
        previous = self.messages.get(message.id)
        self.messages[message.id] = message
        self._timers.add(message.expires_at, "message", message.id)
        self.topics.track(previous, message)
        self.board.shown(previous, message)
        data: dict[str, Any] = {**message.to_json(), "status": "changed" if previous is not None else "active"}
        pushes = "push" in message.channels and message.targets.topics
        describe = self._options["describe_messages"]
        text = self.texts.of(message, self.config.languages[0]) if describe or pushes else None
        if text is not None and describe:
            data["text"] = {"title": text.title, "lines": list(text.lines)}
        outcome.records.append(Record("message", now, data, line))
        if not pushes:
            return
        rule_id = message.id.removeprefix("rule:")
        rule_policy = self.rules.config(rule_id).push if rule_id in self.rules.ids() else None
        for topic in message.targets.topics:
            content = self.push_gate.decide(message, topic, rule_policy, text,
                                            lambda language: self.texts.of(message, language), now)
            if content is not None:
                outcome.publications.append(Publication(PUSH_TOPIC, content))
                outcome.records.append(Record("delivery", now, {"channel": "push", "target": topic,
                                                                "format": "push", "content": content}, line))

    def _withdraw(self, message_id: str, now: datetime, reason: str, line: int | None, outcome: Outcome) -> None:
        message = self.messages.pop(message_id, None)
        if message is None:
            return
        self.topics.track(message, None)
        self.board.withdrawn(message)
        outcome.records.append(Record("expired", now, {"id": message_id, "reason": reason}, line))
        for zone in self.alert_book.expired(message_id, now):  # an alert over leaves the phones' lists too
            self._published(alerts_topic(zone), self.alert_book.document(zone), now, line, outcome)

    def _published(self, topic: str, data: Mapping[str, Any], now: datetime, line: int | None,
                   outcome: Outcome) -> None:
        outcome.publications.append(Publication(topic, data))
        if self._options["record_deliveries"]:
            outcome.records.append(Record("delivery", now, {"channel": "websocket", "target": topic,
                                                            "format": "json", "content": data}, line))

    def _summary(self, message_id: str) -> dict[str, Any]:
        message = self.messages[message_id]
        return message_summary(message, self.texts.of(message, self.config.languages[0]))

    def _refresh(self, now: datetime, line: int | None, outcome: Outcome) -> None:
        documents, index = self.topics.flush(now, self.state, self._summary)
        for topic, data in documents:
            self._published(topic, data, now, line, outcome)
        if index is not None:
            outcome.publications.append(Publication(INDEX_TOPIC, index))
        if not self.board.marked:  # most deliveries change no panel
            return
        for change in self.board.refresh(format_instant(now), self.messages, self.texts.of):
            for problem in change.problems:
                outcome.records.append(Record("error", now, {"reason": problem, "panel": change.panel_id}, line))
            content = change.content
            if content is None:
                continue
            outcome.publications.append(Publication(panel_topic(change.panel_id), content))
            if not self._options["record_deliveries"]:
                continue
            outcome.records.append(Record("delivery", now, {
                "channel": "panel", "target": change.panel_id, "format": change.native,
                "content": content["pages"] if change.native == "json" else content["multi"]}, line))
            if self._options["explain_changes"]:
                outcome.records.append(Record("explain", now, self.explain(change.panel_id, now), line))

    def fresh(self, config: Config) -> Pipeline:
        """A new pipeline for ``config``, run as this one is (``reload.reloaded`` carries over what is known)."""
        return Pipeline(config, **self._options)

    def show(self, message: Message, now: datetime, outcome: Outcome) -> None:
        """Make ``message`` active now, as it is (a message carried over to a new configuration)."""
        self._activate(message, now, None, outcome)

    def hold(self, message: Message) -> None:
        """Hold ``message`` as active, as a checkpoint recorded it: nothing recorded, published or pushed."""
        self.messages[message.id] = message
        self._timers.add(message.expires_at, "message", message.id)
        self.topics.track(None, message)
        self.board.shown(None, message)

    def explain(self, panel_id: str, now: datetime) -> dict[str, Any]:
        """Why ``panel_id`` shows what it shows (read-only)."""
        panel = self.config.panels[panel_id]
        chain = self.board.zone_chains[panel_id]
        return explain(panel, chain, self.board.decision(panel_id, self.messages), now, rules=self.rules,
                       outcomes=self.outcomes, state=self.state,
                       scheduled=[m for m in self.scheduled.values() if panel_id in self.board.panels_for(m.targets)],
                       alerts=self.alert_book.for_zones(chain), unfit=self.board.unfit(panel_id))
