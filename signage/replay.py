"""``signage replay``: feed a day of deliveries through the pipeline offline, on the events' own clock.

No network and no wall clock: the same input always gives the same output. Each input line is one feed
delivery; each output line is one record (observation, alert, message, expired, delivery, error).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from signage.config import Config
from signage.feeds import MQTT_TOPIC_HEADER, FeedError, decode_delivery
from signage.pipeline import Outcome, Pipeline, Record
from signage.safe_json import loads
from signage.timeutil import parse_instant

__all__ = ["MAX_LINE_BYTES", "replay"]

MAX_LINE_BYTES = 8 * 1024 * 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _body(event: dict[str, Any]) -> bytes:
    if "body_base64" in event:
        if not isinstance(event["body_base64"], str):
            raise ValueError("body_base64 must be base64 text")
        try:
            return base64.b64decode(event["body_base64"], validate=True)
        except binascii.Error as exc:
            raise ValueError(f"body_base64 is not valid base64 ({exc})") from exc
    if "body" not in event:
        raise ValueError("a line needs body or body_base64")
    body = event["body"]
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def replay(config: Config, lines: Iterable[str], until: datetime | None = None, explain: bool = False
           ) -> Iterator[dict[str, Any]]:
    """Yield the records for ``lines`` (JSON lines) in order; bad lines become ``error`` records.

    With ``explain``, each change of a panel's content is followed by an ``explain`` record saying why.
    """
    pipeline = Pipeline(config, explain_changes=explain)
    clock: datetime | None = None

    def emit(outcome: Outcome) -> Iterator[dict[str, Any]]:
        for record in outcome.records:
            yield record.to_json()

    def error(at: datetime, number: int, reason: str) -> dict[str, Any]:
        return Record("error", at, {"reason": reason}, number).to_json()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            yield error(clock or _EPOCH, number, f"line longer than {MAX_LINE_BYTES} bytes")
            continue
        try:
            event = loads(line)
            if not isinstance(event, dict):
                raise ValueError("a line must be a JSON object")
            at = parse_instant(event.get("at", ""))
            feed_id = event.get("feed")
            if not isinstance(feed_id, str) or feed_id not in config.feeds:
                raise ValueError(f"unknown feed {feed_id!r}")
            body = _body(event)
        except ValueError as exc:  # JsonProblem included: not JSON, NaN, endless numbers or nesting
            yield error(clock or _EPOCH, number, f"bad input line: {exc}")
            continue
        if clock is None:
            yield from emit(pipeline.start(at))
            clock = at
        # The clock never runs backwards: a late line is processed at the current time.
        clock = max(clock, at)
        yield from emit(pipeline.advance(clock))
        headers = {MQTT_TOPIC_HEADER: str(event["topic"])} if "topic" in event else {}
        headers.update({str(k): str(v) for k, v in (event.get("headers") or {}).items()})
        try:
            result = decode_delivery(config.feeds[feed_id], body, clock, headers)
        except FeedError as exc:
            yield error(clock, number, f"feed {feed_id}: {exc}")
            continue
        yield from emit(pipeline.ingest(result.observations, result.alerts, clock, number))
    if until is not None and clock is not None and until > clock:
        yield from emit(pipeline.advance(until))
