"""The alerts in force, by id: where each applies (its geocodes resolved to the city's zones), what an Update or a
Cancel replaces, the message each shows, and each zone's list for its ``alerts/<zone>`` topic. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signage.config import Config
from signage.model import Alert, Lane, Message, Targets
from signage.protocol import alerts_topic

__all__ = ["ALERT_PRIORITY", "AlertBook", "AlertChange"]

ALERT_PRIORITY = {"extreme": 100, "severe": 90, "moderate": 70, "minor": 60, "unknown": 50}


@dataclass(slots=True)
class AlertChange:
    """What one alert does, in the order it happens: messages it ends (with why), the refusal it gets, the message
    it shows, and the zones whose alert lists changed."""

    zones: tuple[str, ...]
    withdrawn: list[tuple[str, str]] = field(default_factory=list)
    refusal: tuple[str, dict[str, Any]] | None = None  # ("ignored" or "expired", what to record)
    shown: Message | None = None
    touched: list[str] = field(default_factory=list)


class AlertBook:
    def __init__(self, config: Config) -> None:
        self._config = config
        self.alerts: dict[str, Alert] = {}

    def zones(self, alert: Alert) -> tuple[str, ...]:
        """The city's zones an alert names, by id or by any geocode the zone table gives them."""
        config = self._config
        return tuple(sorted({zone for code in alert.zones
                             for zone in ([code] if code in config.zones else config.zones_for_code(code))}))

    def take(self, alert: Alert, now: datetime) -> AlertChange:
        """Apply an Alert, Update or Cancel: an Update or Cancel ends what it references."""
        change = AlertChange(self.zones(alert))
        touched: set[str] = set(change.zones)
        if alert.msg_type in ("update", "cancel"):
            verb = "cancelled" if alert.msg_type == "cancel" else "updated"
            for reference in alert.references:
                old = self.alerts.pop(reference, None)
                if old is not None:
                    touched.update(self.zones(old))
                change.withdrawn.append((f"alert:{reference}", f"{verb} by {alert.id}"))
        if alert.msg_type != "cancel":
            if not change.zones:
                # A valid alert for somewhere else: the normal fate of most of a national feed's alerts.
                change.refusal = ("ignored", {"reason": f"not for this city: alert {alert.id!r} names no zone of it "
                                                      f"(geocodes: {', '.join(alert.zones) or 'none'})"})
            elif alert.expires is not None and alert.expires <= now:
                change.refusal = ("expired", {"id": f"alert:{alert.id}", "reason": "expires before it arrived"})
            elif alert.all_clear:
                change.refusal = ("expired", {"id": f"alert:{alert.id}", "reason": "an all-clear: nothing to show"})
            else:
                self.alerts[alert.id] = alert
                change.shown = self.message(alert, change.zones)
        change.touched = sorted(touched)
        return change

    def expired(self, message_id: str, now: datetime) -> tuple[str, ...]:
        """Forget the alert whose message has just been withdrawn if it is over (an update or a cancel has already
        taken it out); the zones whose lists lose it."""
        alert = self.alerts.get(message_id[len("alert:"):]) if message_id.startswith("alert:") else None
        if alert is None or alert.expires is None or alert.expires > now:
            return ()
        del self.alerts[alert.id]
        return self.zones(alert)

    @staticmethod
    def message(alert: Alert, zones: tuple[str, ...]) -> Message:
        """What an alert shows: the ``alert`` template on every panel of its zones, pushed on their topics."""
        return Message(
            id=f"alert:{alert.id}",
            lane=Lane.ALERT,
            priority=ALERT_PRIORITY.get(alert.severity.lower(), 50),
            template="alert",
            params={"event": alert.event, "events": dict(alert.events), "headline": dict(alert.headline),
                    "description": dict(alert.description), "severity": alert.severity,
                    **({"instruction": dict(alert.instruction)} if alert.instruction else {})},
            targets=Targets(zones=zones, topics=tuple(alerts_topic(z) for z in zones)),
            channels=("panels", "kiosks", "websocket", "push"),
            activated_at=alert.sent,
            expires_at=alert.expires,
            source=alert.source,
            severity=alert.severity.lower(),
        )

    def document(self, zone: str) -> dict[str, Any]:
        """The ``alerts/<zone>`` topic's document: every alert in force there, by id."""
        return {"zone": zone, "alerts": [a.to_json() for a in sorted(self.alerts.values(), key=lambda a: a.id)
                                         if zone in self.zones(a)]}

    def for_zones(self, chain: list[str]) -> list[dict[str, Any]]:
        """The alerts in force in any of these zones (a panel's zone and its parents)."""
        return [a.to_json() for a in self.alerts.values() if any(z in chain for z in self.zones(a))]
