"""Feed adapters: one per format, each a pure function from a delivery's bytes to observations and alerts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from signage.feeds.atmo import decode_atmo
from signage.feeds.base import FeedError, FeedResult, checked
from signage.feeds.cap import decode_cap
from signage.feeds.datex2 import decode_datex2
from signage.feeds.gtfs_rt import decode_gtfs_rt
from signage.feeds.http_records import decode_http_records
from signage.feeds.mqtt import decode_mqtt
from signage.feeds.ngsi import decode_ngsi
from signage.feeds.siri import decode_siri
from signage.feeds.webhook import decode_webhook
from signage.model import FeedConfig

__all__ = ["ADAPTERS", "MAX_DELIVERY_BYTES", "MQTT_TOPIC_HEADER", "FeedError", "FeedResult", "decode_delivery"]

MQTT_TOPIC_HEADER = "MQTT-Topic"  # how an MQTT message's topic travels with its payload (bridges, replay)

Adapter = Callable[[FeedConfig, bytes, datetime], FeedResult]

ADAPTERS: dict[str, Adapter] = {
    "ngsi-v2": decode_ngsi,
    "ngsi-ld": decode_ngsi,
    "cap": decode_cap,
    "gtfs-rt": decode_gtfs_rt,
    "siri": decode_siri,
    "datex2": decode_datex2,
    "atmo": decode_atmo,
    "http-poll": decode_http_records,
}

MAX_DELIVERY_BYTES = 4 * 1024 * 1024


def decode_delivery(feed: FeedConfig, body: bytes, received_at: datetime,
                    headers: Mapping[str, str] | None = None) -> FeedResult:
    """Decode one delivery for ``feed``; raises ``FeedError`` with a reason a sender can act on.

    ``headers`` matter only to the formats that authenticate a delivery (the webhook's signature). What comes out
    is ``checked``: numbers finite and in range, texts without control characters or bidi overrides."""
    if len(body) > MAX_DELIVERY_BYTES:
        raise FeedError(f"body larger than {MAX_DELIVERY_BYTES} bytes", code="too_large")
    if not body:
        raise FeedError("body is empty")
    try:
        return checked(_decode(feed, body, received_at, headers or {}))
    except FeedError:
        raise
    except Exception as exc:  # a decoder's blind spot refuses the delivery (kept for replay), never a crash
        raise FeedError(f"cannot be decoded ({type(exc).__name__}: {str(exc)[:200]})") from exc


def _decode(feed: FeedConfig, body: bytes, received_at: datetime, headers: Mapping[str, str]) -> FeedResult:
    if feed.format == "webhook":
        return decode_webhook(feed, body, received_at, headers)
    if feed.format == "mqtt":
        topic = next((v for k, v in headers.items() if k.lower() == MQTT_TOPIC_HEADER.lower()), None)
        if not topic:
            raise FeedError(f"an MQTT delivery needs its topic (the {MQTT_TOPIC_HEADER} header)", MQTT_TOPIC_HEADER)
        return decode_mqtt(feed, topic, body, received_at)
    adapter = ADAPTERS.get(feed.format)
    if adapter is None:
        raise FeedError(f"feed {feed.id!r} uses format {feed.format!r}, which this engine does not decode yet",
                        code="format_not_supported")
    return adapter(feed, body, received_at)
