"""Where every delivery enters, whatever brought it (an HTTP POST, a poll, an MQTT message): decode it,
hand what it says to the engine over the bus, and keep what cannot be used as a dead letter."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime

from signage.bus import Bus
from signage.engine import INGEST_TOPIC, ingest_error, ingest_payload
from signage.feeds import FeedError, FeedResult, decode_delivery
from signage.metrics import Metrics
from signage.model import FeedConfig
from signage.store import Store
from signage.timeutil import format_instant

__all__ = ["Intake"]

log = logging.getLogger("signage.feeds")
NOT_KEPT = ("bad_signature", "too_large")  # keeping these would let anyone fill the store


class Intake:
    def __init__(self, bus: Bus, store: Store, metrics: Metrics) -> None:
        self._bus = bus
        self._store = store
        self._metrics = metrics

    async def deliver(self, feed: FeedConfig, body: bytes, received_at: datetime,
                      headers: Mapping[str, str] | None = None, content_type: str = "") -> FeedResult:
        """Decode and forward; raises ``FeedError`` (with ``dead_letter`` set when the body was kept)."""
        try:
            result = decode_delivery(feed, body, received_at, headers)
        except FeedError as exc:
            await self.refused(feed.id, received_at, exc.reason, exc.where)
            if exc.code not in NOT_KEPT:
                letter = f"{format_instant(received_at)}-{hashlib.sha256(body).hexdigest()[:12]}"
                topic = next((v for k, v in (headers or {}).items() if k.lower() == "mqtt-topic"), None)
                await self._store.put("dead_letters", letter, {
                    "id": letter, "feed": feed.id, "received_at": format_instant(received_at),
                    "reason": exc.reason, "where": exc.where, "code": exc.code, "content_type": content_type,
                    "mqtt_topic": topic, "body_base64": base64.b64encode(body).decode(),
                })
                exc.dead_letter = letter
                log.warning("feed %s: delivery refused (%s); kept as dead letter %s", feed.id, exc, letter)
            else:
                log.warning("feed %s: delivery refused (%s)", feed.id, exc)
            raise
        await self._bus.publish(INGEST_TOPIC, ingest_payload(feed.id, received_at, result.observations,
                                                             result.alerts))
        self._metrics.feed_deliveries.labels(feed=feed.id, result="accepted").inc()
        return result

    async def refused(self, feed_id: str, at: datetime, reason: str, where: str = "") -> None:
        """A delivery, poll or connection that failed: counted, and reported to the engine's feed health."""
        self._metrics.feed_deliveries.labels(feed=feed_id, result="rejected").inc()
        await self._bus.publish(INGEST_TOPIC, ingest_error(feed_id, at, reason, where))
