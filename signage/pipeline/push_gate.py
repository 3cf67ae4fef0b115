"""Whether a message is pushed to phones on a topic now: the city's, the topic family's and the rule's push
policies together (quiet hours that only severe and extreme alerts cross, at most one push per topic per
``min_interval``), never the same message twice, and never for a message whose template cannot be rendered. A
push is decided per topic, never per phone. Every decision is kept for operators. Pure."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from signage.config import Config
from signage.model import Lane, Message, PushPolicy
from signage.templates import RenderedText
from signage.timeutil import format_instant, parse_instant

__all__ = ["URGENT_SEVERITIES", "PushGate"]

URGENT_SEVERITIES = ("severe", "extreme")
DEFAULT_TTL_S = 4 * 3600


@dataclass(frozen=True, slots=True)
class _Sent:
    at: datetime
    content_key: str


class PushGate:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._tz = ZoneInfo(config.timezone)
        self._sent: dict[str, _Sent] = {}
        self.log: dict[str, dict[str, Any]] = {}  # topic -> the last push decision, for operators

    def carry_over(self, other: PushGate) -> None:
        """Keep what was pushed and decided (a configuration reload must not push everything again)."""
        self._sent = dict(other._sent)
        self.log = dict(other.log)

    def remembered(self) -> dict[str, Any]:
        """What was pushed and decided, as JSON (for a checkpoint)."""
        return {"sent": {t: {"at": format_instant(s.at), "content_key": s.content_key} for t, s in self._sent.items()},
                "log": self.log}

    def recall(self, remembered: dict[str, Any]) -> None:
        """Take back what ``remembered()`` gave."""
        self._sent = {t: _Sent(parse_instant(s["at"]), str(s["content_key"])) for t, s in remembered["sent"].items()}
        self.log = dict(remembered["log"])

    def _refusal(self, message: Message, topic: str, policy: PushPolicy, text: RenderedText | None,
                 now: datetime) -> str:
        last = self._sent.get(topic)
        urgent = message.severity in URGENT_SEVERITIES
        if text is None:
            return "its template cannot be rendered"
        if last is not None and last.content_key == _content_key(message):
            return "unchanged since the last push on this topic"
        if policy.quiet_hours is not None and policy.quiet_hours.contains(now.astimezone(self._tz).time()) and (
                not urgent):
            return "quiet hours (only severe or extreme alerts cross them)"
        if last is not None and now - last.at < policy.min_interval and not urgent:
            return (f"at most one push per {policy.min_interval.total_seconds() / 60:g} min on this topic "
                    f"(last at {format_instant(last.at)})")
        return ""

    def decide(self, message: Message, topic: str, rule_policy: PushPolicy | None, text: RenderedText | None,
               translate: Callable[[str], RenderedText | None], now: datetime) -> dict[str, Any] | None:
        """The push to send on ``topic`` (the ``_push`` document), or None with the reason kept in ``log``.
        ``translate`` renders the message in another language, for phones set to it."""
        policy = self._config.push_policy(topic, rule_policy)
        reason = self._refusal(message, topic, policy, text, now)
        if reason:
            self.log[topic] = {"at": format_instant(now), "message": message.id, "sent": False, "reason": reason}
            return None
        assert text is not None
        self._sent[topic] = _Sent(now, _content_key(message))
        self.log[topic] = {"at": format_instant(now), "message": message.id, "sent": True, "reason": "sent"}
        title, body = text.push_text()
        texts = {text.language: {"title": title, "body": body}}
        for language in self._config.languages:
            translated = translate(language)
            if translated is not None and translated.language == language:
                translated_title, translated_body = translated.push_text()
                texts[language] = {"title": translated_title, "body": translated_body}
        urgent = message.severity in URGENT_SEVERITIES
        return {
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
            "ttl_s": int((message.expires_at - now).total_seconds()) if message.expires_at else DEFAULT_TTL_S,
        }


def _content_key(message: Message) -> str:
    return json.dumps([message.template, message.params], sort_keys=True, default=str)
