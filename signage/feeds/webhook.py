"""A generic JSON webhook, authenticated by an HMAC-SHA256 signature with a shared secret and a timestamp.

The sender signs ``<timestamp>.<body>`` with the feed's secret and sends
``X-Signature: t=<unix seconds>,v1=<hex digest>``. A signature older (or newer) than five minutes is refused,
and the HTTP edge accepts each signature once within that time, so a captured delivery cannot be replayed. The
secret comes from the environment variable the feed's ``secret_env`` option names; it is never in the
configuration file, a log line or an error.

The body is one JSON object or a list of them; the ``key`` option (``sensors/{id}``), ``id_field``,
``fields`` (name → dotted path) and ``time_field`` map each object to an observation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from signage.feeds.base import FeedError, FeedResult, dotted, json_body, short_id
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["MAX_SKEW_S", "SIGNATURE_HEADER", "decode_webhook", "map_records", "sign", "verify_signature"]

SIGNATURE_HEADER = "X-Signature"
MAX_SKEW_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a sender puts on a delivery."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(feed: FeedConfig, header: str | None, body: bytes, received_at: datetime) -> str:
    """Check the delivery's signature with the feed's secret; returns the signature (``v1``), which the HTTP
    edge accepts once. Raises ``FeedError`` (``bad_signature``, or ``not_configured`` without a secret)."""
    secret = feed.options.get("secret")
    if not secret:
        raise FeedError(f"feed {feed.id!r} has no secret (set the variable its secret_env names)",
                        code="not_configured")
    return _verify(str(secret), header, body, received_at)


def _verify(secret: str, header: str | None, body: bytes, received_at: datetime) -> str:
    if not header:
        raise FeedError(f"the {SIGNATURE_HEADER} header is missing", SIGNATURE_HEADER, "bad_signature")
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise FeedError("expected t=<unix seconds>,v1=<hex>", SIGNATURE_HEADER, "bad_signature") from exc
    if abs(received_at.timestamp() - timestamp) > MAX_SKEW_S:
        raise FeedError("the signature is more than five minutes old (or in the future): refused as a replay",
                        SIGNATURE_HEADER, "bad_signature")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise FeedError("the signature does not match the body", SIGNATURE_HEADER, "bad_signature")
    return expected


def decode_webhook(feed: FeedConfig, body: bytes, received_at: datetime, headers: Mapping[str, str]) -> FeedResult:
    header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
    verify_signature(feed, header, body, received_at)
    document = json_body(body)
    return map_records(feed, document if isinstance(document, list) else [document], received_at,
                       "" if not isinstance(document, list) else "list")


def map_records(feed: FeedConfig, records: list[Any], received_at: datetime, shape: str = "list") -> FeedResult:
    """Map plain records (JSON objects, CSV rows, XML elements as mappings) with the feed's ``key``,
    ``id_field``, ``fields`` and ``time_field`` options."""
    key_pattern = str(feed.options.get("key", "webhook/{id}"))
    id_field = str(feed.options.get("id_field", "id"))
    fields: Mapping[str, str] = feed.options.get("fields") or {}
    time_field = feed.options.get("time_field")
    result = FeedResult()
    for index, record in enumerate(records):
        where = f"[{index}]" if shape else ""
        if not isinstance(record, dict):
            raise FeedError("must be a JSON object", where or "body")
        found, ident = dotted(record, id_field)
        if not found or not isinstance(ident, str | int) or isinstance(ident, bool):
            raise FeedError("is missing or not text", f"{where}.{id_field}".lstrip("."))
        values = ({name: value for name, path in fields.items() if (hit := dotted(record, path))[0]
                   for value in [hit[1]]} if fields else {k: v for k, v in record.items() if k != id_field})
        observed_at = received_at
        if time_field:
            found, stamp = dotted(record, str(time_field))
            if found:
                try:
                    observed_at = parse_instant(str(stamp))
                except ValueError as exc:
                    raise FeedError(f"is not an ISO 8601 instant with an offset ({stamp!r})",
                                    f"{where}.{time_field}".lstrip(".")) from exc
        result.observations.append(Observation(key_pattern.replace("{id}", short_id(str(ident))), values,
                                               observed_at, feed.id))
    return result
