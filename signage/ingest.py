"""Where every delivery enters, whatever brought it (an HTTP POST, a poll, an MQTT message): decode it,
hand what it says to the engine over the bus, and keep what cannot be used as a dead letter.

What is refused before it is decoded (no credentials, a stranger's address, an unlisted CAP sender, a body too
large) is never kept: keeping it would let anyone fill the store. It is counted, per feed, and reported to the
engine's feed health in one summary every few seconds at most, so that a flood of refusals cannot push the
real deliveries out of the bounded delivery stream either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from signage.bus import Bus
from signage.dead_letter_limits import DeadLetterLimits
from signage.dead_letters import DeadLetters, Letter
from signage.feeds import MQTT_TOPIC_HEADER, FeedError, FeedResult, decode_delivery
from signage.ingest_backlog import BEHIND_LIMIT, REFRESH_S, IngestBacklog
from signage.metrics import Metrics
from signage.model import FeedConfig
from signage.protocol import INGEST_TOPIC, delivery_document, failure_document, refusals_document
from signage.store import Store

__all__ = ["NOT_KEPT", "EngineBehind", "Intake"]

log = logging.getLogger("signage.feeds")
NOT_KEPT = ("bad_signature", "too_large", "sender_not_allowed")  # keeping these would let anyone fill the store
DECODE_INLINE_BYTES = 64 * 1024  # larger bodies decode in a thread, so the event loop keeps serving meanwhile
REFUSALS_EVERY_S = 2.0


class EngineBehind(RuntimeError):
    """The engine has not applied enough of what was accepted: a sender should retry in a moment."""


@dataclass(slots=True)
class _Refusals:
    count: int
    at: datetime
    reason: str


class Intake:
    def __init__(self, bus: Bus, store: Store, metrics: Metrics, backlog_limit: int = BEHIND_LIMIT) -> None:
        self._bus = bus
        self._store = store
        self._metrics = metrics
        self.backlog = IngestBacklog(store, backlog_limit)
        self.letters = DeadLetters(store)
        self._refusals: dict[str, _Refusals] = {}
        self._reported_at = 0.0

    async def deliver(self, feed: FeedConfig, body: bytes, received_at: datetime,
                      headers: Mapping[str, str] | None = None, content_type: str = "",
                      wait_for_room: bool = False) -> FeedResult:
        """Decode and forward; raises ``FeedError`` (with ``dead_letter`` set when the body was kept), or
        ``EngineBehind`` while the engine is too far behind, unless ``wait_for_room`` (the engine's own pollers
        and MQTT subscriptions wait: their broker or source holds what is not read yet)."""
        while await self.backlog.full():
            if not wait_for_room:
                self._metrics.feed_deliveries.labels(feed=feed.id, result="deferred").inc()
                raise EngineBehind(f"the engine is {await self.backlog.behind()} deliveries behind; retry shortly")
            await asyncio.sleep(REFRESH_S)
        try:
            if len(body) > DECODE_INLINE_BYTES:
                result = await asyncio.to_thread(decode_delivery, feed, body, received_at, headers)
            else:
                result = decode_delivery(feed, body, received_at, headers)
        except FeedError as exc:
            if exc.code in NOT_KEPT:
                await self.unauthenticated(feed.id, received_at, exc.reason)
                log.warning("feed %s: delivery refused (%s)", feed.id, exc)
                raise
            await self.refused(feed.id, received_at, exc.reason, exc.where)
            topic = next((v for k, v in (headers or {}).items() if k.lower() == MQTT_TOPIC_HEADER.lower()), None)
            letter_id, dropped = await self.letters.keep(
                Letter(feed.id, received_at, exc.reason, exc.where, exc.code, content_type, topic, body),
                DeadLetterLimits.of(feed.options))
            for reason, count in dropped.items():
                self._metrics.dead_letters_dropped.labels(feed=feed.id, reason=reason).inc(count)
            exc.dead_letter = letter_id
            log.warning("feed %s: delivery refused (%s); %s", feed.id, exc,
                        f"kept as dead letter {letter_id}" if letter_id else "too large to keep within its limits")
            raise
        self.backlog.appended(await self._bus.publish(
            INGEST_TOPIC, delivery_document(feed.id, received_at, result.observations, result.alerts)))
        self._metrics.feed_deliveries.labels(feed=feed.id, result="accepted").inc()
        return result

    async def refused(self, feed_id: str, at: datetime, reason: str, where: str = "") -> None:
        """A delivery, poll or connection that failed: counted, and reported to the engine's feed health."""
        self._metrics.feed_deliveries.labels(feed=feed_id, result="rejected").inc()
        await self._bus.publish(INGEST_TOPIC, failure_document(feed_id, at, reason, where))

    async def unauthenticated(self, feed_id: str, at: datetime, reason: str) -> None:
        """A delivery refused for who sent it: counted at once, reported to feed health in a summary."""
        self._metrics.feed_deliveries.labels(feed=feed_id, result="unauthenticated").inc()
        held = self._refusals.get(feed_id)
        self._refusals[feed_id] = _Refusals((held.count if held else 0) + 1, at, reason)
        if time.monotonic() - self._reported_at >= REFUSALS_EVERY_S:
            await self.report_refusals()

    async def report_refusals(self) -> None:
        """Send the engine what was refused since the last summary (called every few seconds, and by refusals)."""
        self._reported_at = time.monotonic()
        pending, self._refusals = self._refusals, {}
        for feed_id, refusals in pending.items():
            await self._bus.publish(INGEST_TOPIC, refusals_document(feed_id, refusals.at, refusals.count,
                                                                    refusals.reason))

    async def prune_letters(self, feeds: Mapping[str, FeedConfig], now: datetime) -> None:
        """Drop the dead letters past their feed's retention (run hourly: a feed that stops failing keeps none
        forever)."""
        held = {str(letter["feed"]) for letter in await self.letters.listing()}
        for feed_id in held:  # a feed gone from the configuration keeps its letters under the default limits
            feed = feeds.get(feed_id)
            limits = DeadLetterLimits.of(feed.options) if feed else DeadLetterLimits.DEFAULT
            for reason, count in (await self.letters.prune(feed_id, limits, now)).items():
                self._metrics.dead_letters_dropped.labels(feed=feed_id, reason=reason).inc(count)
