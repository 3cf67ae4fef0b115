"""The whole flow after the feeds, as one pure object: observations and alerts in, records and publications out.

``signage replay`` drives it with the events' clock and prints the records; the engine drives it with the wall
clock and publishes the publications on the bus. Same code, same results.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from renderers.panel_content import render_panel_content
from signage.board import Decision, resolve
from signage.config import Config
from signage.model import Alert, Lane, Message, Observation, ProfileKind, Targets
from signage.rules import RuleBook, RuleOutcome
from signage.state import LiveState
from signage.timeutil import format_instant

__all__ = ["Outcome", "Pipeline", "Publication", "Record"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALERT_PRIORITY = {"extreme": 100, "severe": 90, "moderate": 70, "minor": 60, "unknown": 50}


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


class Pipeline:
    """Live state, rules, board and renderers for one configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config
        default_max_age = min((f.max_age for f in config.feeds.values()), default=None)
        self.state = LiveState({f.id: f.max_age for f in config.feeds.values()},
                               default_max_age or timedelta(minutes=15))
        self.rules = RuleBook(config.rules, config.timezone)
        self.messages: dict[str, Message] = {}
        self.alerts: dict[str, Alert] = {}
        self.outcomes: dict[str, RuleOutcome] = {}
        self.decisions: dict[str, Decision] = {}
        self.contents: dict[str, dict[str, Any]] = {}
        self._zone_chains = {p.id: config.zone_ancestors(p.zone) for p in config.panels.values()}
        self._public_patterns = [t.pattern for t in config.topics if t.public]

    # ---- time ---------------------------------------------------------------------------------------------
    def next_deadline(self) -> datetime | None:
        candidates = [m.expires_at for m in self.messages.values() if m.expires_at is not None]
        stale = self.state.next_stale_at()
        if stale is not None:
            candidates.append(stale)
        return min(candidates, default=None)

    def start(self, now: datetime) -> Outcome:
        """Render every panel once: each has content (its default at least) before anything arrives."""
        outcome = Outcome()
        self._refresh_panels(now, None, outcome)
        return outcome

    def advance(self, until: datetime) -> Outcome:
        """Let time pass to ``until``: expiries and staleness happen at their own instants, in order."""
        outcome = Outcome()
        while (deadline := self.next_deadline()) is not None and deadline <= until:
            changed_keys: list[str] = []
            for value in self.state.pop_stale(deadline):
                changed_keys.append(value.key)
                self._publish_topic(value.key, deadline, None, outcome)
            for message in sorted(self.messages.values(), key=lambda m: m.id):
                if message.expires_at is not None and message.expires_at <= deadline:
                    self._withdraw(message.id, deadline, "expires" if message.lane is Lane.ALERT else "ttl",
                                   None, outcome)
            self._run_rules(changed_keys, deadline, None, outcome)
            self._refresh_panels(deadline, None, outcome)
        return outcome

    # ---- input --------------------------------------------------------------------------------------------
    def ingest(self, observations: Iterable[Observation], alerts: Iterable[Alert], now: datetime,
               line: int | None = None) -> Outcome:
        outcome = self.advance(now)
        changed: list[str] = []
        for observation in observations:
            value = self.state.apply(observation)
            record = observation.to_json()
            if value is None:
                record["ignored"] = "older than the value already held"
                outcome.records.append(Record("observation", now, record, line))
                continue
            outcome.records.append(Record("observation", now, record, line))
            changed.append(observation.key)
            self._publish_topic(observation.key, now, line, outcome)
        for alert in alerts:
            self._take_alert(alert, now, line, outcome)
        self._run_rules(changed, now, line, outcome)
        self._refresh_panels(now, line, outcome)
        return outcome

    def _publish_topic(self, key: str, now: datetime, line: int | None, outcome: Outcome) -> None:
        if not any(fnmatch.fnmatchcase(key, pattern) for pattern in self._public_patterns):
            return
        value = self.state.get(key)
        if value is None:
            return
        data = value.view(now)
        outcome.publications.append(Publication(key, data))
        outcome.records.append(Record("delivery", now, {"channel": "websocket", "target": key, "format": "json",
                                                        "content": data}, line))

    # ---- alerts -------------------------------------------------------------------------------------------
    def _take_alert(self, alert: Alert, now: datetime, line: int | None, outcome: Outcome) -> None:
        zones = sorted({zone for code in alert.zones
                        for zone in ([code] if code in self.config.zones else self.config.zones_for_code(code))})
        outcome.records.append(Record("alert", now, {**alert.to_json(), "resolved_zones": zones}, line))
        touched: set[str] = set(zones)
        if alert.msg_type in ("update", "cancel"):
            for reference in alert.references:
                old = self.alerts.pop(reference, None)
                if old is not None:
                    touched.update(self._alert_message(old).targets.zones)
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
                self._activate(self._alert_message(alert), now, line, outcome)
        for zone in sorted(touched):
            self._publish_alerts(zone, now, line, outcome)

    def _alert_message(self, alert: Alert) -> Message:
        zones = tuple(sorted({zone for code in alert.zones
                              for zone in ([code] if code in self.config.zones
                                           else self.config.zones_for_code(code))}))
        return Message(
            id=f"alert:{alert.id}",
            lane=Lane.ALERT,
            priority=ALERT_PRIORITY.get(alert.severity.lower(), 50),
            template="alert",
            params={"event": alert.event, "headline": dict(alert.headline),
                    "description": dict(alert.description), "severity": alert.severity},
            targets=Targets(zones=zones, topics=tuple(f"alerts/{z}" for z in zones)),
            channels=("panels", "kiosks", "websocket", "push"),
            activated_at=alert.sent,
            expires_at=alert.expires,
            source=alert.source,
            severity=alert.severity.lower(),
        )

    def _publish_alerts(self, zone: str, now: datetime, line: int | None, outcome: Outcome) -> None:
        active = [a.to_json() for a in sorted(self.alerts.values(), key=lambda a: a.id)
                  if zone in self._alert_message(a).targets.zones]
        topic = f"alerts/{zone}"
        data = {"zone": zone, "alerts": active}
        outcome.publications.append(Publication(topic, data))
        outcome.records.append(Record("delivery", now, {"channel": "websocket", "target": topic, "format": "json",
                                                        "content": data}, line))

    # ---- rules --------------------------------------------------------------------------------------------
    def _run_rules(self, changed: list[str], now: datetime, line: int | None, outcome: Outcome) -> None:
        for rule_id in self.rules.affected_by(changed):
            result = self.rules.evaluate(rule_id, self.state, now)
            self.outcomes[rule_id] = result
            message_id = f"rule:{rule_id}"
            if not result.matched:
                self._withdraw(message_id, now, f"cleared: {result.reason}", line, outcome)
                continue
            rule = self.rules.config(rule_id)
            current = self.messages.get(message_id)
            message = Message(
                id=message_id,
                lane=Lane.RULE,
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
                # Same content: only the time to live is renewed, which nobody sees.
                self.messages[message_id] = message
                continue
            self._activate(message, now, line, outcome)

    def _activate(self, message: Message, now: datetime, line: int | None, outcome: Outcome) -> None:
        status = "changed" if message.id in self.messages else "active"
        self.messages[message.id] = message
        text = self.config.templates.render(message.template, message.params, self.config.languages[0]) \
            if message.template in self.config.templates else None
        data: dict[str, Any] = {**message.to_json(), "status": status}
        if text is not None:
            data["text"] = {"title": text.title, "lines": list(text.lines)}
        outcome.records.append(Record("message", now, data, line))

    def _withdraw(self, message_id: str, now: datetime, reason: str, line: int | None, outcome: Outcome) -> None:
        if self.messages.pop(message_id, None) is not None:
            outcome.records.append(Record("expired", now, {"id": message_id, "reason": reason}, line))

    # ---- panels -------------------------------------------------------------------------------------------
    @staticmethod
    def default_message_for(config: Config, panel_id: str) -> Message:
        """The message a panel falls back to, so that it is never blank."""
        panel = config.panels[panel_id]
        return Message(f"default:{panel_id}", Lane.DEFAULT, 0, panel.default_template,
                       {"panel": panel.name, "place": panel.place, "city": config.city},
                       Targets(panels=(panel_id,)), ("panels", "kiosks"), _EPOCH, None, "panel default")

    def _refresh_panels(self, now: datetime, line: int | None, outcome: Outcome) -> None:
        active = sorted(self.messages.values(), key=lambda m: m.id)
        for panel in self.config.panels.values():
            profile = self.config.profiles[panel.profile]
            channel = "kiosks" if profile.kind is ProfileKind.KIOSK else "panels"
            decision = resolve(panel, self._zone_chains[panel.id], channel, active,
                               self.default_message_for(self.config, panel.id), profile.max_pages)
            self.decisions[panel.id] = decision
            problems: list[str] = []
            content = render_panel_content(panel, profile, decision, self.config.templates, problems.append)
            for problem in problems:
                outcome.records.append(Record("error", now, {"reason": problem, "panel": panel.id}, line))
            previous = self.contents.get(panel.id)
            if previous is not None and previous["etag"] == content["etag"]:
                continue
            content["updated_at"] = format_instant(now)
            self.contents[panel.id] = content
            outcome.publications.append(Publication(f"panel/{panel.id}", content))
            native = "json" if channel == "kiosks" else "multi"
            outcome.records.append(Record("delivery", now, {
                "channel": "panel", "target": panel.id, "format": native,
                "content": content["pages"] if native == "json" else content["multi"],
            }, line))

