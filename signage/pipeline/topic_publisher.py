"""The public topics' documents: each live value under its key (``parking/darcy``) with the messages sent to that
topic on the WebSocket channel, and the index of every public topic that has a value (what open data lists).
Topics whose value or messages changed are published once per step, in order. Pure."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from signage.model import Lane, Message
from signage.state import LiveState
from signage.templates import RenderedText
from signage.timeutil import format_instant

__all__ = ["TopicPublisher", "message_summary"]


class TopicPublisher:
    def __init__(self, public_patterns: Iterable[str]) -> None:
        self._patterns = list(public_patterns)
        self._public: dict[str, bool] = {}  # key -> whether it is published on a public topic
        self.indexed: set[str] = set()  # public topics published so far
        self._index_changed = False
        self._messages: dict[str, set[str]] = {}  # topic -> messages sent to it on the WebSocket channel
        self._dirty: set[str] = set()  # topics to publish once the current step is done

    def settle(self) -> None:
        """Everything tracked so far is already published (state taken back from a checkpoint)."""
        self._dirty.clear()

    def changed(self, key: str) -> None:
        self._dirty.add(key)

    def track(self, old: Message | None, new: Message | None) -> None:
        """Keep which messages each topic carries on the WebSocket channel (alerts have their own topics)."""
        for message, present in ((old, False), (new, True)):
            if message is None or message.lane is Lane.ALERT or "websocket" not in message.channels:
                continue
            for topic in message.targets.topics:
                carried = self._messages.setdefault(topic, set())
                if present:
                    carried.add(message.id)
                else:
                    carried.discard(message.id)
                self._dirty.add(topic)

    def _is_public(self, key: str) -> bool:
        public = self._public.get(key)
        if public is None:
            public = self._public[key] = any(fnmatch.fnmatchcase(key, p) for p in self._patterns)
        return public

    def flush(self, now: datetime, state: LiveState, summary: Callable[[str], dict[str, Any]]
              ) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any] | None]:
        """The documents of the topics changed since the last flush, in topic order, and the new index if it
        changed. ``summary`` describes a message by id."""
        dirty, self._dirty = self._dirty, set()
        documents = []
        for key in sorted(dirty):
            if not self._is_public(key) or key.startswith("alerts/"):
                continue
            value = state.get(key)
            message_ids = self._messages.get(key)
            if value is None and message_ids is None:
                continue
            data = value.view(now) if value is not None else {}
            if message_ids is not None:
                data["messages"] = [summary(m) for m in sorted(message_ids)]
                if not message_ids:
                    del self._messages[key]  # told once that nothing is left, then forgotten
            documents.append((key, data))
            if value is not None and key not in self.indexed:
                self.indexed.add(key)
                self._index_changed = True
        index = None
        if self._index_changed:
            self._index_changed = False
            index = {"topics": sorted(self.indexed)}
        return documents, index


def message_summary(message: Message, text: RenderedText | None) -> dict[str, Any]:
    """A message as a topic's document lists it: what a phone following the topic shows beside the value."""
    return {"id": message.id, "lane": message.lane.name.lower(), "priority": message.priority,
            "severity": message.severity, "title": text.title if text else "",
            "lines": list(text.lines) if text else [], "language": text.language if text else None,
            "expires_at": format_instant(message.expires_at) if message.expires_at else None}
