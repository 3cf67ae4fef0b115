"""The whole flow after the feeds, as one pure object: observations and alerts in, records and publications out.

``signage replay`` drives it with the events' clock and prints the records; the engine drives it with the wall
clock and publishes the publications on the bus. Same code, same results.

Work is proportional to what changed: a change wakes only the rules that read the changed keys, and only the
panels that a changed message targets are resolved and rendered again.
"""

from __future__ import annotations

import fnmatch
import heapq
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from renderers.cache import RenderCache
from renderers.panel_content import LedResult, render_panel_content
from signage.board import Decision, resolve, targets_panel
from signage.config import Config
from signage.model import Alert, Lane, Message, Observation, ProfileKind, Targets
from signage.protocol import INDEX_TOPIC, PUSH_TOPIC
from signage.rules import RuleBook, RuleOutcome
from signage.state import LiveState
from signage.templates import RenderedText, TemplateProblem
from signage.timeutil import format_instant

__all__ = ["Outcome", "Pipeline", "Publication", "Record"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALERT_PRIORITY = {"extreme": 100, "severe": 90, "moderate": 70, "minor": 60, "unknown": 50}
URGENT_SEVERITIES = ("severe", "extreme")
RENDER_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Record:
    """One thing that happened, as ``signage replay`` prints it."""

    kind: str
    at: datetime
    data: Mapping[str, Any]
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "at": format_instant(self.at)}
        if self.line is not None:
            out["line"] = self.line
        out.update(self.data)
        return out


@dataclass(frozen=True, slots=True)
class Publication:
    topic: str
    data: Mapping[str, Any]


@dataclass(slots=True)
class Outcome:
    records: list[Record] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.records.extend(other.records)
        self.publications.extend(other.publications)


@dataclass(slots=True)
class _RuleRuntime:
    pending_since: datetime | None = None  # ``for``: when the condition started to hold
    cooldown_until: datetime | None = None
    wake_at: datetime | None = None  # when the rule must be looked at again even if nothing changes


@dataclass(frozen=True, slots=True)
class _PushSent:
    at: datetime
    content_key: str


class Pipeline:
    """Live state, rules, board and renderers for one configuration."""

    def __init__(self, config: Config, *, use_index: bool = True, explain_changes: bool = False,
                 describe_messages: bool = True, record_deliveries: bool = True) -> None:
        """``use_index=False`` evaluates every rule on every change (the benchmarks' baseline);
        ``explain_changes`` follows each change of a panel's content with an ``explain`` record;
        ``describe_messages`` adds each message's text to its record (for people reading a replay; the
        engine, which reads records only to store messages, does without); ``record_deliveries`` adds a
        ``delivery`` record beside each publication (replay prints them; the engine publishes instead)."""
        self.config = config
        self._record_deliveries = record_deliveries
        self._describe = describe_messages
        self._explain_changes = explain_changes
        default_max_age = min((f.max_age for f in config.feeds.values()), default=timedelta(minutes=15))
        self.state = LiveState({f.id: f.max_age for f in config.feeds.values()}, default_max_age)
        self.rules = RuleBook(config.rules, config.timezone)
        self.messages: dict[str, Message] = {}
        self.scheduled: dict[str, Message] = {}  # operators' messages that start later, by id
        self.alerts: dict[str, Alert] = {}
        self.outcomes: dict[str, RuleOutcome] = {}
        self.decisions: dict[str, Decision] = {}
        self.contents: dict[str, dict[str, Any]] = {}
        self.push_log: dict[str, dict[str, Any]] = {}  # topic -> the last push decision, for operators
        self._use_index = use_index
        self._tz = ZoneInfo(config.timezone)
        self._runtime = {rule_id: _RuleRuntime() for rule_id in self.rules.ids()}
        self._zone_chains = {p.id: config.zone_ancestors(p.zone) for p in config.panels.values()}
        self._public_patterns = [t.pattern for t in config.topics if t.public]
        self._public: dict[str, bool] = {}  # key -> whether it is published on a public topic
        self._indexed: set[str] = set()  # public topics published so far
        self._index_changed = False
        self._topic_messages: dict[str, set[str]] = {}  # topic -> messages sent to it on the WebSocket channel
        self._dirty_topics: set[str] = set()  # topics to publish once the current operation is done
        self._targeted: dict[Targets, tuple[str, ...]] = {}
        self._panel_messages: dict[str, set[str]] = {p: set() for p in config.panels}
        self._dirty: set[str] = set()  # panels to resolve and render again
        self._competition_changed: set[str] = set()  # panels whose losers changed: only the "why" is outdated
        self._pushes: dict[str, _PushSent] = {}
        self._render_cache: dict[tuple[str, str, str, str], RenderedText] = {}
        self.led_cache: RenderCache[LedResult] = RenderCache()  # MULTI by profile and text, shared by panels
        self._defaults = {panel_id: self.default_message_for(config, panel_id) for panel_id in config.panels}
        # (instant, "message" or "rule", id): expiries and wake-ups; outdated entries are skipped when read.
        self._timers: list[tuple[datetime, str, str]] = []

    # ---- time ---------------------------------------------------------------------------------------------
    def _timer(self, at: datetime | None, kind: str, ident: str) -> None:
        if at is not None:
            heapq.heappush(self._timers, (at, kind, ident))

    def _timer_is_live(self, at: datetime, kind: str, ident: str) -> bool:
        if kind == "message":
            message = self.messages.get(ident)
            return message is not None and message.expires_at == at
        if kind == "start":
            message = self.scheduled.get(ident)
            return message is not None and message.activated_at == at
        return self._runtime[ident].wake_at == at

    def next_deadline(self) -> datetime | None:
        while self._timers and not self._timer_is_live(*self._timers[0]):
            heapq.heappop(self._timers)
        candidates = [self._timers[0][0]] if self._timers else []
        stale = self.state.next_stale_at()
        if stale is not None:
            candidates.append(stale)
        return min(candidates, default=None)

    def start(self, now: datetime) -> Outcome:
        """Look at every rule once and render every panel: each has content (its default at least)."""
        outcome = Outcome()
        self._run_rules(self.rules.ids(), now, None, outcome, {"kind": "start", "keys": [], "source": ""})
        self._dirty.update(self.config.panels)
        self._refresh_panels(now, None, outcome)
        return outcome

    def advance(self, until: datetime) -> Outcome:
        """Let time pass to ``until``: expiries, staleness and rule wake-ups happen at their own instants."""
        outcome = Outcome()
        while (deadline := self.next_deadline()) is not None and deadline <= until:
            changed_keys: list[str] = []
            for value in self.state.pop_stale(deadline):
                changed_keys.append(value.key)
                self._dirty_topics.add(value.key)
            for message in sorted(self.scheduled.values(), key=lambda m: m.id):
                if message.activated_at <= deadline:
                    del self.scheduled[message.id]
                    self._activate(message, deadline, None, outcome)
            for message in sorted(self.messages.values(), key=lambda m: m.id):
                if message.expires_at is not None and message.expires_at <= deadline:
                    self._withdraw(message.id, deadline, "expires" if message.lane is Lane.ALERT else "ttl",
                                   None, outcome)
            due = [rule_id for rule_id, rt in self._runtime.items()
                   if rt.wake_at is not None and rt.wake_at <= deadline]
            self._run_rules(self._wake(changed_keys, due), deadline, None, outcome,
                            {"kind": "time", "keys": changed_keys, "source": ""})
            self._refresh_panels(deadline, None, outcome)
        return outcome

    # ---- input --------------------------------------------------------------------------------------------
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
            outcome.records.append(Record("observation", now, record, line))
            if value is not None:
                self._dirty_topics.add(observation.key)
        for alert in alerts:
            self._take_alert(alert, now, line, outcome)
        event = {"kind": "change", "keys": changed, "source": sources[0] if sources else ""}
        self._run_rules(self._wake(changed, []), now, line, outcome, event)
        self._refresh_panels(now, line, outcome)
        return outcome

    # ---- operators ----------------------------------------------------------------------------------------
    def put_message(self, message: Message, now: datetime) -> Outcome:
        """An operator's broadcast or an emergency message: shown through the same board as everything else,
        from its ``activated_at`` on (a broadcast scheduled for later waits until then)."""
        outcome = self.advance(now)
        if message.expires_at is not None and message.expires_at <= now:
            return outcome  # already over (a command read again after a restart): never shown, not even briefly
        if message.activated_at > now:
            self.scheduled[message.id] = message
            self._timer(message.activated_at, "start", message.id)
            return outcome
        self._activate(message, now, None, outcome)
        self._refresh_panels(now, None, outcome)
        return outcome

    def remove_message(self, message_id: str, now: datetime, reason: str) -> Outcome:
        """Stop a message everywhere at once."""
        outcome = self.advance(now)
        self.scheduled.pop(message_id, None)
        self._withdraw(message_id, now, reason, None, outcome)
        self._refresh_panels(now, None, outcome)
        return outcome

    def _wake(self, changed: list[str], due: list[str]) -> list[str]:
        if not self._use_index:
            return self.rules.every_rule()
        rules = self.rules.affected_by(changed) if changed else []
        return rules + [r for r in due if r not in rules]

    def _publish_topic(self, key: str, now: datetime, line: int | None, outcome: Outcome) -> None:
        """A topic's document: the live value under its key, and the messages sent to the topic."""
        public = self._public.get(key)
        if public is None:
            public = self._public[key] = any(fnmatch.fnmatchcase(key, p) for p in self._public_patterns)
        if not public or key.startswith("alerts/"):
            return
        value = self.state.get(key)
        message_ids = self._topic_messages.get(key)
        if value is None and message_ids is None:
            return
        data = value.view(now) if value is not None else {}
        if message_ids is not None:
            data["messages"] = [self._summary(self.messages[m]) for m in sorted(message_ids)]
            if not message_ids:
                del self._topic_messages[key]  # told once that nothing is left, then forgotten
        outcome.publications.append(Publication(key, data))
        if value is not None and key not in self._indexed:
            self._indexed.add(key)
            self._index_changed = True
        if self._record_deliveries:
            outcome.records.append(Record("delivery", now, {"channel": "websocket", "target": key,
                                                            "format": "json", "content": data}, line))

    def _summary(self, message: Message) -> dict[str, Any]:
        text = self._render(message, self.config.languages[0], lambda _: None)
        return {"id": message.id, "lane": message.lane.name.lower(), "priority": message.priority,
                "severity": message.severity, "title": text.title if text else "",
                "lines": list(text.lines) if text else [], "language": text.language if text else None,
                "expires_at": format_instant(message.expires_at) if message.expires_at else None}

    def _flush_topics(self, now: datetime, line: int | None, outcome: Outcome) -> None:
        dirty, self._dirty_topics = self._dirty_topics, set()
        for topic in sorted(dirty):
            self._publish_topic(topic, now, line, outcome)
        if self._index_changed:
            self._index_changed = False
            outcome.publications.append(Publication(INDEX_TOPIC, {"topics": sorted(self._indexed)}))

    # ---- alerts -------------------------------------------------------------------------------------------
    def _alert_zones(self, alert: Alert) -> tuple[str, ...]:
        return tuple(sorted({zone for code in alert.zones
                             for zone in ([code] if code in self.config.zones else self.config.zones_for_code(code))}))

    def _take_alert(self, alert: Alert, now: datetime, line: int | None, outcome: Outcome) -> None:
        zones = self._alert_zones(alert)
        outcome.records.append(Record("alert", now, {**alert.to_json(), "resolved_zones": list(zones)}, line))
        touched: set[str] = set(zones)
        if alert.msg_type in ("update", "cancel"):
            for reference in alert.references:
                old = self.alerts.pop(reference, None)
                if old is not None:
                    touched.update(self._alert_zones(old))
                verb = "cancelled" if alert.msg_type == "cancel" else "updated"
                self._withdraw(f"alert:{reference}", now, f"{verb} by {alert.id}", line, outcome)
        if alert.msg_type != "cancel":
            if not zones:
                outcome.records.append(Record("error", now, {
                    "reason": f"alert {alert.id!r} names no zone of this configuration "
                              f"(geocodes: {', '.join(alert.zones) or 'none'})"}, line))
            elif alert.expires is not None and alert.expires <= now:
                outcome.records.append(Record("expired", now, {"id": f"alert:{alert.id}",
                                                               "reason": "expires before it arrived"}, line))
            else:
                self.alerts[alert.id] = alert
                self._activate(self._alert_message(alert, zones), now, line, outcome)
        for zone in sorted(touched):
            self._publish_alerts(zone, now, line, outcome)

    def _alert_message(self, alert: Alert, zones: tuple[str, ...]) -> Message:
        return Message(
            id=f"alert:{alert.id}",
            lane=Lane.ALERT,
            priority=ALERT_PRIORITY.get(alert.severity.lower(), 50),
            template="alert",
            params={"event": alert.event, "events": dict(alert.events), "headline": dict(alert.headline),
                    "description": dict(alert.description), "severity": alert.severity,
                    **({"instruction": dict(alert.instruction)} if alert.instruction else {})},
            targets=Targets(zones=zones, topics=tuple(f"alerts/{z}" for z in zones)),
            channels=("panels", "kiosks", "websocket", "push"),
            activated_at=alert.sent,
            expires_at=alert.expires,
            source=alert.source,
            severity=alert.severity.lower(),
        )

    def _publish_alerts(self, zone: str, now: datetime, line: int | None, outcome: Outcome) -> None:
        active = [a.to_json() for a in sorted(self.alerts.values(), key=lambda a: a.id)
                  if zone in self._alert_zones(a)]
        topic = f"alerts/{zone}"
        data = {"zone": zone, "alerts": active}
        outcome.publications.append(Publication(topic, data))
        if self._record_deliveries:
            outcome.records.append(Record("delivery", now, {"channel": "websocket", "target": topic,
                                                            "format": "json", "content": data}, line))

    # ---- rules --------------------------------------------------------------------------------------------
    def _run_rules(self, rule_ids: Iterable[str], now: datetime, line: int | None, outcome: Outcome,
                   event: Mapping[str, Any] | None = None) -> None:
        for rule_id in rule_ids:
            self._evaluate_rule(rule_id, now, line, outcome, event)
            self._timer(self._runtime[rule_id].wake_at, "rule", rule_id)

    def _evaluate_rule(self, rule_id: str, now: datetime, line: int | None, outcome: Outcome,
                       event: Mapping[str, Any] | None) -> None:
        rule = self.rules.config(rule_id)
        runtime = self._runtime[rule_id]
        message_id = f"rule:{rule_id}"
        active = message_id in self.messages
        runtime.wake_at = None
        schedule_wake: datetime | None = None
        if rule.schedule is not None:
            schedule_wake = rule.schedule.next_change(now)
            if not rule.schedule.contains(now):
                until = f" until {format_instant(schedule_wake)}" if schedule_wake else ""
                self.outcomes[rule_id] = RuleOutcome(rule_id, False, f"outside its schedule{until}", {},
                                                     tuple(sorted(self.rules.inputs(rule_id))))
                runtime.pending_since = None
                runtime.wake_at = schedule_wake
                self._withdraw(message_id, now, "cleared: outside its schedule", line, outcome)
                return
        result = self.rules.evaluate(rule_id, self.state, now, active, event)
        self.outcomes[rule_id] = result
        runtime.wake_at = schedule_wake
        if not result.matched:
            runtime.pending_since = None
            if active:
                self._withdraw(message_id, now, f"cleared: {result.reason}", line, outcome)
                if rule.cooldown:
                    runtime.cooldown_until = now + rule.cooldown
            return
        if not active:
            if runtime.cooldown_until is not None and now < runtime.cooldown_until:
                self.outcomes[rule_id] = replace(
                    result, matched=False, reason=f"{result.reason}; cooling down until "
                                                  f"{format_instant(runtime.cooldown_until)}")
                runtime.wake_at = _earliest(runtime.cooldown_until, schedule_wake)
                return
            if rule.hold_for:
                runtime.pending_since = runtime.pending_since or now
                fires_at = runtime.pending_since + rule.hold_for
                if now < fires_at:
                    self.outcomes[rule_id] = replace(
                        result, matched=False, reason=f"{result.reason} since "
                        f"{format_instant(runtime.pending_since)}; fires at {format_instant(fires_at)} if it holds")
                    runtime.wake_at = _earliest(fires_at, schedule_wake)
                    return
        current = self.messages.get(message_id)
        message = Message(
            id=message_id,
            lane=rule.lane,
            priority=rule.priority,
            template=rule.template,
            params=result.params,
            targets=rule.targets,
            channels=rule.channels,
            activated_at=current.activated_at if current else now,
            expires_at=(now + rule.ttl) if rule.ttl else None,
            source=f"rule {rule_id}",
        )
        if current is not None and current.same_content(replace(message, expires_at=current.expires_at)):
            self.messages[message_id] = message  # only the time to live is renewed, which nobody sees
            self._timer(message.expires_at, "message", message_id)
            return
        self._activate(message, now, line, outcome)

    # ---- messages -----------------------------------------------------------------------------------------
    def _panels_for(self, targets: Targets) -> tuple[str, ...]:
        panels = self._targeted.get(targets)
        if panels is None:
            panels = tuple(p.id for p in self.config.panels.values()
                           if targets_panel(targets, p, self._zone_chains[p.id]))
            self._targeted[targets] = panels
        return panels

    def _touch(self, panel_id: str, message_id: str, contender: Message | None) -> None:
        """A message targeting the panel changed. Resolve the panel again only if what it shows may change:
        the message is shown there now, or ``contender`` (its new version) ranks at least as high as the
        winner. Otherwise it still loses, and only the explanation of the competition is outdated."""
        decision = self.decisions.get(panel_id)
        if decision is None or any(m.id == message_id for m in decision.shown):
            self._dirty.add(panel_id)
            return
        winner = decision.shown[0]
        if contender is not None and (contender.lane, contender.priority) >= (winner.lane, winner.priority):
            self._dirty.add(panel_id)
        else:
            self._competition_changed.add(panel_id)

    def _track_topics(self, old: Message | None, new: Message | None) -> None:
        """Keep which messages each topic carries on the WebSocket channel (alerts have their own topics)."""
        for message, present in ((old, False), (new, True)):
            if message is None or message.lane is Lane.ALERT or "websocket" not in message.channels:
                continue
            for topic in message.targets.topics:
                carried = self._topic_messages.setdefault(topic, set())
                if present:
                    carried.add(message.id)
                else:
                    carried.discard(message.id)
                self._dirty_topics.add(topic)

    def _activate(self, message: Message, now: datetime, line: int | None, outcome: Outcome) -> None:
        previous = self.messages.get(message.id)
        status = "changed" if previous is not None else "active"
        moved = previous is None or previous.targets != message.targets
        if previous is not None and moved:
            for panel in self._panels_for(previous.targets):
                self._panel_messages[panel].discard(previous.id)
                self._touch(panel, previous.id, None)
        self.messages[message.id] = message
        self._timer(message.expires_at, "message", message.id)
        self._track_topics(previous, message)
        for panel in self._panels_for(message.targets):
            if moved:
                self._panel_messages[panel].add(message.id)
            self._touch(panel, message.id, message)
        data: dict[str, Any] = {**message.to_json(), "status": status}
        pushes = "push" in message.channels and message.targets.topics
        text = self._render(message, self.config.languages[0], lambda _: None) if (
            self._describe or pushes) else None
        if text is not None and self._describe:
            data["text"] = {"title": text.title, "lines": list(text.lines)}
        outcome.records.append(Record("message", now, data, line))
        if pushes:
            for topic in message.targets.topics:
                self._push(message, topic, text, now, line, outcome)

    def _withdraw(self, message_id: str, now: datetime, reason: str, line: int | None, outcome: Outcome) -> None:
        message = self.messages.pop(message_id, None)
        if message is None:
            return
        self._track_topics(message, None)
        for panel in self._panels_for(message.targets):
            self._panel_messages[panel].discard(message_id)
            self._touch(panel, message_id, None)
        outcome.records.append(Record("expired", now, {"id": message_id, "reason": reason}, line))

    # ---- push ---------------------------------------------------------------------------------------------
    def _push(self, message: Message, topic: str, text: RenderedText | None, now: datetime, line: int | None,
              outcome: Outcome) -> None:
        """Decide whether this message is pushed on ``topic`` now; the decision is kept for operators."""
        rule_id = message.id.removeprefix("rule:")
        rule_policy = self.rules.config(rule_id).push if rule_id in self._runtime else None
        policy = self.config.push_policy(topic, rule_policy)
        urgent = message.severity in URGENT_SEVERITIES
        content_key = json.dumps([message.template, message.params], sort_keys=True, default=str)
        last = self._pushes.get(topic)
        local = now.astimezone(self._tz).time()
        reason = ""
        if text is None:
            reason = "its template cannot be rendered"
        elif last is not None and last.content_key == content_key:
            reason = "unchanged since the last push on this topic"
        elif policy.quiet_hours is not None and policy.quiet_hours.contains(local) and not urgent:
            reason = "quiet hours (only severe or extreme alerts cross them)"
        elif last is not None and now - last.at < policy.min_interval and not urgent:
            reason = (f"at most one push per {policy.min_interval.total_seconds() / 60:g} min on this topic "
                      f"(last at {format_instant(last.at)})")
        if reason:
            self.push_log[topic] = {"at": format_instant(now), "message": message.id, "sent": False,
                                    "reason": reason}
            return
        assert text is not None
        self._pushes[topic] = _PushSent(now, content_key)
        self.push_log[topic] = {"at": format_instant(now), "message": message.id, "sent": True, "reason": "sent"}
        title, body = text.push_text()
        texts = {text.language: {"title": title, "body": body}}
        for language in self.config.languages:
            translated = self._render(message, language, lambda _: None)
            if translated is not None and translated.language == language:
                translated_title, translated_body = translated.push_text()
                texts[language] = {"title": translated_title, "body": translated_body}
        content = {
            "topic": topic,
            "message": message.id,
            "title": title,
            "body": body,
            "language": text.language,
            "texts": texts,  # each phone gets its own language when the template has it
            "tag": message.id,
            "severity": message.severity,
            "urgent": urgent,  # severe and extreme alerts cross a phone's quiet hours too
            "urgency": "high" if message.lane is Lane.ALERT else "normal",
            "ttl_s": int((message.expires_at - now).total_seconds()) if message.expires_at else 4 * 3600,
        }
        outcome.publications.append(Publication(PUSH_TOPIC, content))
        outcome.records.append(Record("delivery", now, {"channel": "push", "target": topic, "format": "push",
                                                        "content": content}, line))

    # ---- panels -------------------------------------------------------------------------------------------
    @staticmethod
    def default_message_for(config: Config, panel_id: str) -> Message:
        """The message a panel falls back to, so that it is never blank."""
        panel = config.panels[panel_id]
        return Message(f"default:{panel_id}", Lane.DEFAULT, 0, panel.default_template,
                       {"panel": panel.name, "place": panel.place, "city": config.city},
                       Targets(panels=(panel_id,)), ("panels", "kiosks"), _EPOCH, None, "panel default")

    def _render(self, message: Message, language: str, on_problem: Any) -> RenderedText | None:
        """Template text, cached by template, parameters and language: a thousand panels cost one render."""
        key = (message.template, self.config.templates.version(message.template),
               json.dumps(message.params, sort_keys=True, default=str), language)
        text = self._render_cache.get(key)
        if text is None:
            try:
                text = self.config.templates.render(message.template, message.params, language)
            except TemplateProblem as exc:
                on_problem(str(exc))
                return None
            if len(self._render_cache) >= RENDER_CACHE_SIZE:
                self._render_cache.pop(next(iter(self._render_cache)))
            self._render_cache[key] = text
        return text

    def _resolve(self, panel_id: str) -> Decision:
        panel = self.config.panels[panel_id]
        profile = self.config.profiles[panel.profile]
        channel = "kiosks" if profile.kind is ProfileKind.KIOSK else "panels"
        candidates = [self.messages[m] for m in sorted(self._panel_messages[panel_id])]
        decision = resolve(panel, self._zone_chains[panel_id], channel, candidates, self._defaults[panel_id],
                           profile.max_pages, targeted=True)
        self.decisions[panel_id] = decision
        self._competition_changed.discard(panel_id)
        return decision

    def _text_or_default(self, panel_id: str, problems: list[str], message: Message, language: str
                         ) -> RenderedText:
        text = self._render(message, language, problems.append)
        if text is None:  # a broken template must not blank a street panel: its default stands in
            text = self.config.templates.render("default", self._defaults[panel_id].params, language)
        return text

    def _refresh_panels(self, now: datetime, line: int | None, outcome: Outcome) -> None:
        self._flush_topics(now, line, outcome)
        dirty, self._dirty = self._dirty, set()
        for panel_id in sorted(dirty):
            panel = self.config.panels[panel_id]
            profile = self.config.profiles[panel.profile]
            channel = "kiosks" if profile.kind is ProfileKind.KIOSK else "panels"
            decision = self._resolve(panel_id)
            problems: list[str] = []
            content = render_panel_content(panel, profile, decision,
                                           partial(self._text_or_default, panel_id, problems), self.led_cache)
            for problem in problems:
                outcome.records.append(Record("error", now, {"reason": problem, "panel": panel.id}, line))
            previous = self.contents.get(panel.id)
            if previous is not None and previous["etag"] == content["etag"]:
                continue
            content["updated_at"] = format_instant(now)
            self.contents[panel.id] = content
            outcome.publications.append(Publication(f"panel/{panel.id}", content))
            native = "json" if channel == "kiosks" else "multi"
            if not self._record_deliveries:
                continue
            outcome.records.append(Record("delivery", now, {
                "channel": "panel", "target": panel.id, "format": native,
                "content": content["pages"] if native == "json" else content["multi"],
            }, line))
            if self._explain_changes:
                outcome.records.append(Record("explain", now, self.explain(panel.id, now), line))

    # ---- configuration ------------------------------------------------------------------------------------
    def with_config(self, config: Config, now: datetime) -> tuple[Pipeline, Outcome]:
        """A pipeline for a new configuration that keeps what is known: live values, alerts, operators'
        messages, push history and what each panel shows (so unchanged panels are not sent again)."""
        new = Pipeline(config, use_index=self._use_index, explain_changes=self._explain_changes,
                       describe_messages=self._describe, record_deliveries=self._record_deliveries)
        for value in self.state.values():
            new.state.apply(Observation(value.key, value.fields, value.observed_at, value.source))
        new.contents = {p: c for p, c in self.contents.items() if p in config.panels}
        new._pushes = dict(self._pushes)
        new._indexed = set(self._indexed)
        new.push_log = dict(self.push_log)
        outcome = Outcome()
        for alert in self.alerts.values():
            zones = new._alert_zones(alert)
            if zones:
                new.alerts[alert.id] = alert
                new._activate(new._alert_message(alert, zones), now, None, outcome)
        for message in self.messages.values():
            if message.lane is Lane.OPERATOR:
                new._activate(message, now, None, outcome)
        for message in self.scheduled.values():
            new.scheduled[message.id] = message
            new._timer(message.activated_at, "start", message.id)
        outcome.extend(new.start(now))
        return new, outcome

    # ---- explain ------------------------------------------------------------------------------------------
    def explain(self, panel_id: str, now: datetime) -> dict[str, Any]:
        """Why ``panel_id`` shows what it shows: the winner, the competition, the rules and the values used."""
        panel = self.config.panels[panel_id]
        chain = self._zone_chains[panel_id]
        if panel_id in self._competition_changed:  # the winner is the same; bring the losers' reasons up to date
            self._resolve(panel_id)
        decision = self.decisions.get(panel_id)
        rules = []
        keys: set[str] = set()
        for rule_id in self.rules.ids():
            rule = self.rules.config(rule_id)
            if not targets_panel(rule.targets, panel, chain):
                continue
            result = self.outcomes.get(rule_id)
            rules.append({"id": rule_id, "description": rule.description, "line": rule.line,
                          "matched": bool(result and result.matched),
                          "reason": result.reason if result else "not evaluated yet",
                          "unavailable": list(result.unavailable) if result else []})
            keys |= self.rules.inputs(rule_id)
        values = []
        for key in sorted(keys):
            value = self.state.get(key)
            if value is None:
                values.append({"key": key, "missing": True})
            else:
                values.append({"key": key, "value": dict(value.fields), "source": value.source,
                               "observed_at": format_instant(value.observed_at), "stale": value.is_stale(now),
                               "age_s": round(value.age_s(now), 3), "max_age_s": value.max_age.total_seconds()})
        shown = decision.shown if decision else ()
        return {
            "panel": panel_id,
            "at": format_instant(now),
            "reason": decision.reason if decision else "not resolved yet",
            "lane": decision.lane.name.lower() if decision else "default",
            "shown": [{"id": m.id, "lane": m.lane.name.lower(), "priority": m.priority, "source": m.source,
                       "template": m.template, "params": dict(m.params)} for m in shown],
            "competing": [{"id": mid, "why": why} for mid, why in (decision.competing if decision else ())],
            "scheduled": [{"id": m.id, "starts_at": format_instant(m.activated_at), "source": m.source}
                          for m in sorted(self.scheduled.values(), key=lambda m: (m.activated_at, m.id))
                          if panel_id in self._panels_for(m.targets)],  # operators' broadcasts still to come
            "rules": rules,
            "values": values,
            "alerts": [a.to_json() for a in self.alerts.values()
                       if any(z in chain for z in self._alert_zones(a))],
        }


def _earliest(*instants: datetime | None) -> datetime | None:
    return min((i for i in instants if i is not None), default=None)
