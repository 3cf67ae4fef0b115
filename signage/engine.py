"""The engine process: consumes feed deliveries from the bus, runs the pipeline on the wall clock, publishes.

Exactly one engine runs per city. Web processes decode deliveries at the edge (so senders get an immediate
4xx for bad input) and append them to the ``_ingest`` topic; the engine tails that topic from its start, so a
restarted engine rebuilds its live state from the retained deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from signage.bus import Bus
from signage.config import Config
from signage.feed_health import FeedHealth
from signage.metrics import Metrics
from signage.model import Alert, Message
from signage.pipeline import Outcome, Pipeline, reloaded
from signage.protocol import (
    EXPLAIN_PREFIX,
    FEEDS_TOPIC,
    INGEST_TOPIC,
    PUSH_TOPIC,
    Command,
    Delivery,
    FeedFailure,
    Refusals,
    explanation_document,
    read_ingest,
)
from signage.tasks import cancel_and_wait
from signage.templates import TemplateSpec
from signage.work_queue import WorkQueue

__all__ = ["Engine"]

MAX_TICK_S = 1.0
log = logging.getLogger("signage.engine")


class Engine:
    def __init__(self, config: Config, bus: Bus, metrics: Metrics,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), jobs: WorkQueue | None = None) -> None:
        # What the engine decides leaves by the bus only (the open data, the console and the "why" read it
        # there); it publishes deliveries instead of recording them.
        self.pipeline = Pipeline(config, describe_messages=False, record_deliveries=False)
        self._base_config = config  # as loaded, before published templates are applied
        self.health = FeedHealth(config.feeds)
        self._feeds_report = ""
        self._bus = bus
        self._metrics = metrics
        self._clock = clock
        self._jobs = jobs  # push decisions become jobs that push workers share
        self._template_overrides: dict[str, TemplateSpec] = {}  # published from the console
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._explained: dict[str, str] = {}
        self._explain_due = True  # something happened since the explanations were last published
        self.started = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled."""
        async with self._lock:
            await self._publish(self.pipeline.start(self._clock()))
            await self._publish_explanations()
        self.started.set()
        ticker = asyncio.create_task(self._tick_forever(), name="engine-ticker")
        try:
            async for update in self._bus.tail(INGEST_TOPIC, 0):
                await self._take(update.data)
        finally:
            await cancel_and_wait(ticker)

    def _with_overrides(self, config: Config) -> Config:
        if not self._template_overrides:
            return config
        return dataclasses.replace(config, templates=config.templates.with_overrides(self._template_overrides))

    async def reload(self, config: Config) -> None:
        """Switch to a new configuration without a restart, keeping the live state (and published templates)."""
        async with self._lock:
            self._base_config = config
            self.pipeline, outcome = reloaded(self.pipeline, self._with_overrides(config), self._clock())
            await self._publish(outcome)
            await self._publish_explanations()

    def feed_report(self) -> list[dict[str, Any]]:
        config = self.pipeline.config
        return self.health.report(self._clock(), self.pipeline.state, {f.id: f.max_age for f in config.feeds.values()})

    async def _take(self, payload: Any) -> None:
        try:
            entry = read_ingest(payload)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("ingest entry skipped: not a valid document (%s)", exc)
            return
        if isinstance(entry, Command):
            await self._command(entry)
        elif isinstance(entry, FeedFailure):
            self.health.error(entry.feed, entry.at, entry.reason, entry.where)
            self._explain_due = True
        elif isinstance(entry, Refusals):
            self.health.unauthenticated(entry.feed, entry.at, entry.count, entry.reason)
            self._explain_due = True
        else:
            await self._deliver(entry)

    async def _deliver(self, delivery: Delivery) -> None:
        began = time.perf_counter()
        self.health.success(delivery.feed, delivery.received_at,
                            max((o.observed_at for o in delivery.observations), default=None))
        async with self._lock:
            outcome = self.pipeline.ingest(delivery.observations, delivery.alerts, self._clock())
            await self._publish(outcome)
        self._metrics.observations.labels(feed=delivery.feed).inc(len(delivery.observations))
        self._metrics.pipeline_seconds.observe(time.perf_counter() - began)
        self._wake.set()

    async def _command(self, command: Command) -> None:
        """Staff commands travel on the same stream as deliveries: in order, and replayed after a restart."""
        fields = command.fields
        try:
            if command.name == "broadcast":
                message = Message.from_json(fields["message"])
                async with self._lock:
                    await self._publish(self.pipeline.put_message(message, self._clock()))
            elif command.name == "alert":  # an emergency from the console, or its cancellation
                alert = Alert.from_json(fields["alert"])
                async with self._lock:
                    await self._publish(self.pipeline.ingest([], [alert], self._clock()))
            elif command.name == "template":  # a version published from the console
                spec = fields["spec"]
                self._template_overrides[str(fields["template"])] = TemplateSpec(
                    str(fields["template"]), dict(spec["variants"]), "", str(spec.get("pictogram", "")))
                await self.reload(self._base_config)
            elif command.name == "stop":
                async with self._lock:
                    await self._publish(self.pipeline.remove_message(str(fields["id"]), self._clock(),
                                                                     f"stopped by {fields.get('by', 'staff')}"))
            else:
                log.error("unknown staff command %r skipped", command.name)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("staff command skipped: %s", exc)
        self._explain_due = True  # a scheduled broadcast changes no panel yet, but each panel's "why" lists it
        self._wake.set()

    async def _tick_forever(self) -> None:
        while True:
            deadline = self.pipeline.next_deadline()
            wait = MAX_TICK_S
            if deadline is not None:
                wait = min(MAX_TICK_S, max(0.0, (deadline - self._clock()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            async with self._lock:
                await self._publish(self.pipeline.advance(self._clock()))
                await self._publish_explanations()

    async def _publish_explanations(self) -> None:
        """At most once a tick, publish each panel's explanation that changed since the last one, and the
        feeds' health report."""
        if not self._explain_due:
            return
        self._explain_due = False
        report = self.feed_report()
        for feed in report:
            self._metrics.feed_stale_keys.labels(feed=feed["feed"]).set(feed["stale_count"])
            if feed["lag_s"] is not None:
                self._metrics.feed_lag.labels(feed=feed["feed"]).set(feed["lag_s"])
        digest = json.dumps([{k: v for k, v in f.items() if k != "rate_per_min"} for f in report], sort_keys=True)
        if digest != self._feeds_report:
            self._feeds_report = digest
            await self._bus.publish(FEEDS_TOPIC, {"feeds": report})
        now = self._clock()
        for panel_id in self.pipeline.config.panels:
            document = explanation_document(self.pipeline.explain(panel_id, now))
            digest = json.dumps(document, sort_keys=True, default=str)
            if self._explained.get(panel_id) != digest:
                self._explained[panel_id] = digest
                await self._bus.publish(EXPLAIN_PREFIX + panel_id, document)

    async def _publish(self, outcome: Outcome) -> None:
        if outcome.records:
            self._explain_due = True
        for publication in outcome.publications:
            await self._bus.publish(publication.topic, dict(publication.data))
            self._metrics.publications.inc()
            if publication.topic == PUSH_TOPIC and self._jobs is not None:
                await self._jobs.put({"kind": "decision", "decision": dict(publication.data)})
        for record in outcome.records:
            if record.kind == "error":
                log.warning("pipeline: %s", record.data.get("reason"))
        self._metrics.active_messages.set(len(self.pipeline.messages))
