"""Refused deliveries kept for an operator: listed, sent again after a fix, and bounded per feed.

A letter is its reason and where (``dead_letters``) and the body it came with (``dead_letter_bodies``), so a
listing never reads the bodies. Each feed keeps at most its ``dead_letters`` limits (``DeadLetterLimits``): the
oldest go first, and what goes is counted. ``signage feeds retry`` sends letters again through the running
server's own ``POST /feeds/{id}``, with a temporary operator token, so it works the same on the embedded default
and on Redis, and a delivery refused again is kept again with its new reason; an accepted letter is removed.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from signage.config import Config
from signage.dead_letter_limits import DeadLetterLimits
from signage.feeds import MQTT_TOPIC_HEADER
from signage.feeds.webhook import SIGNATURE_HEADER, sign
from signage.store import Store
from signage.timeutil import format_instant, parse_instant
from signage.tokens import FeedTokens

__all__ = ["DeadLetters", "Letter", "list_dead_letters", "retry_dead_letters"]

LETTERS, BODIES = "dead_letters", "dead_letter_bodies"
RETRY_TOKEN_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Letter:
    feed: str
    received_at: datetime
    reason: str
    where: str
    code: str
    content_type: str
    mqtt_topic: str | None
    body: bytes


class DeadLetters:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def keep(self, letter: Letter, limits: DeadLetterLimits) -> tuple[str | None, Counter[str]]:
        """Keep ``letter`` within its feed's limits: (its id, or None when it cannot be kept at all; how many
        older letters went, by reason: count, bytes, age)."""
        if limits.max_count == 0 or len(letter.body) > limits.max_bytes:
            return None, Counter({"bytes" if limits.max_count else "count": 1})
        # Filed under the feed (``ngsi:2026-…``): a feed's letters are one range of the store's index; a number
        # from the store orders letters received in the same millisecond.
        number = await self._store.next_number("dead_letters")
        letter_id = (f"{letter.feed}:{format_instant(letter.received_at)}-{number:010d}-"
                     f"{hashlib.sha256(letter.body).hexdigest()[:12]}")
        await self._store.put(BODIES, letter_id, {"id": letter_id,
                                                 "body_base64": base64.b64encode(letter.body).decode()})
        await self._store.put(LETTERS, letter_id, {
            "id": letter_id, "feed": letter.feed, "received_at": format_instant(letter.received_at),
            "reason": letter.reason, "where": letter.where, "code": letter.code, "content_type": letter.content_type,
            "mqtt_topic": letter.mqtt_topic, "bytes": len(letter.body)})
        return letter_id, await self.prune(letter.feed, limits, letter.received_at)

    async def prune(self, feed: str, limits: DeadLetterLimits, now: datetime) -> Counter[str]:
        """Drop the feed's letters beyond its limits, oldest first; how many went, by reason."""
        letters = sorted((*await self._store.documents(LETTERS, f"{feed}:"), *await self._unfiled(feed)),
                         key=_oldest_first)
        dropped: Counter[str] = Counter()
        total = sum(int(d.get("bytes", 0)) for d in letters)
        while letters:
            oldest = letters[0]
            if now - parse_instant(str(oldest["received_at"])) > limits.keep:
                reason = "age"
            elif len(letters) > limits.max_count:
                reason = "count"
            elif total > limits.max_bytes:
                reason = "bytes"
            else:
                break
            await self.remove(str(oldest["id"]))
            letters.pop(0)
            total -= int(oldest.get("bytes", 0))
            dropped[reason] += 1
        return dropped

    async def _unfiled(self, feed: str) -> list[dict[str, Any]]:
        """Letters kept before they were filed under their feed: their ids were their date (``2026-…``)."""
        return [d for d in await self._store.documents(LETTERS, "2")
                if d.get("feed") == feed and str(d["id"]).startswith(str(d["received_at"]))]

    async def remove(self, letter_id: str) -> None:
        await self._store.delete(BODIES, letter_id)
        await self._store.delete(LETTERS, letter_id)

    async def listing(self) -> list[dict[str, Any]]:
        """Every letter without its body, oldest first."""
        letters = sorted(await self._store.documents(LETTERS), key=_oldest_first)
        return [{k: v for k, v in letter.items() if k != "body_base64"}
                | {"bytes": int(letter.get("bytes", len(base64.b64decode(letter.get("body_base64", "")))))}
                for letter in letters]

    async def body(self, letter: dict[str, Any]) -> bytes:
        if "body_base64" in letter:  # kept before bodies had their own documents
            return base64.b64decode(letter["body_base64"])
        doc = await self._store.get(BODIES, str(letter["id"]))
        return base64.b64decode(doc["body_base64"]) if doc else b""


async def list_dead_letters(store: Store) -> list[dict[str, Any]]:
    return await DeadLetters(store).listing()


async def retry_dead_letters(store: Store, config: Config, base_url: str, only: str | None = None) -> tuple[int, int]:
    """Send the kept deliveries again; returns (accepted, refused again)."""
    letters = DeadLetters(store)
    tokens = FeedTokens(store)
    issued: dict[str, str] = {}  # feed -> a temporary operator token, discarded at the end
    accepted = refused = 0
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for letter in await store.documents(LETTERS):
                if only is not None and letter["id"] != only:
                    continue
                feed = config.feeds.get(letter["feed"])
                body = await letters.body(letter)
                headers = {"Content-Type": letter.get("content_type") or "application/octet-stream"}
                if letter.get("mqtt_topic"):
                    headers[MQTT_TOPIC_HEADER] = str(letter["mqtt_topic"])
                if feed is not None and feed.format == "webhook" and feed.options.get("secret"):
                    # The original signature has aged out; this delivery was authenticated when it arrived.
                    headers[SIGNATURE_HEADER] = sign(str(feed.options["secret"]), int(time.time()), body)
                elif feed is not None:
                    if feed.id not in issued:
                        issued[feed.id] = await tokens.issue_temporary(feed.id, RETRY_TOKEN_LIFETIME)
                    headers["Authorization"] = f"Bearer {issued[feed.id]}"
                async with http.post(f"{base_url.rstrip('/')}/feeds/{letter['feed']}", data=body,
                                     headers=headers) as response:
                    answer = await response.json(content_type=None)
                if response.status == 202:
                    accepted += 1
                    await letters.remove(letter["id"])
                    print(f"{letter['id']}: accepted ({answer.get('observations')} observations)")
                else:
                    refused += 1
                    reason = answer.get("error", {}).get("message", response.reason)
                    print(f"{letter['id']}: refused again ({response.status}): {reason}", file=sys.stderr)
                    if response.status < 500 and answer.get("error", {}).get("dead_letter"):
                        await letters.remove(letter["id"])  # the server kept it anew, with its reason
    finally:
        for feed_id, token in issued.items():
            await tokens.discard(feed_id, token)
    return accepted, refused


def _oldest_first(letter: dict[str, Any]) -> tuple[str, str]:
    return str(letter["received_at"]), str(letter["id"])
