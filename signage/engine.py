"""The engine process: consumes feed deliveries from the bus, runs the pipeline on the wall clock, publishes.

One engine leads per city. Web processes decode deliveries at the edge (so senders get an immediate 4xx for bad
input) and append them to the ``_ingest`` topic; the engine applies them in order.

Across a restart nothing is replayed to clients and nothing is pushed twice. Every second the engine checkpoints
its state to the Store with its position in ``_ingest``; at start it loads the checkpoint and staff decisions
(from the Store, where the console wrote them), then catches up on the entries after that position without
publishing, and publishes only the final state of each topic that differs from what the bus already carries. An
entry may be applied twice (a crash between an entry and the next checkpoint): applying one again changes
nothing. A push job is queued under a key of its message, content and topic, so a decision made again is not
sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from signage.bus import Bus, Update
from signage.config import Config
from signage.feed_health import FeedHealth
from signage.ingest_backlog import ENGINE_POSITION
from signage.metrics import Metrics
from signage.model import Alert, Message
from signage.pipeline import Outcome, Pipeline, reloaded, restored, snapshot
from signage.protocol import (
    EXPLAIN_PREFIX,
    FEEDS_TOPIC,
    INGEST_TOPIC,
    PUSH_TOPIC,
    Command,
    Delivery,
    FeedFailure,
    Fence,
    Refusals,
    explanation_document,
    panel_topic,
    read_ingest,
)
from signage.safe_json import dumps
from signage.staff_decisions import StaffDecisions, staff_decisions
from signage.store import Store
from signage.tasks import cancel_and_wait
from signage.templates import TemplateSpec
from signage.work_queue import WorkQueue

__all__ = ["Engine"]

MAX_TICK_S = 1.0
CHECKPOINT_KIND, CHECKPOINT_ID = "engine", "checkpoint"
CHECKPOINT_EVERY_S = 1.0
POSITION_EVERY_S = 0.2
STEP_OBSERVATIONS = 1000  # the most one step takes: about 30 ms of work, so the loop keeps serving meanwhile
EXPLAIN_EVERY_S = 0.5  # the "why" of each panel and the feeds' health, at most this often
MAX_PUSH_KEY_S = 7 * 24 * 3600.0
log = logging.getLogger("signage.engine")


class Engine:
    def __init__(self, config: Config, bus: Bus, metrics: Metrics,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), jobs: WorkQueue | None = None,
                 store: Store | None = None, fence: Callable[[], Fence | None] = lambda: None,
                 leading: Callable[[], bool] = lambda: True) -> None:
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
        self._store = store  # checkpoints, and what staff decided (read at start)
        self._fence = fence  # what every write must carry: a leader that lost its lease writes nothing
        self._leading = leading
        self._position: tuple[str, int] | None = None  # (epoch, offset) of the last ``_ingest`` entry applied
        self._checkpoint_due = False
        self._held: dict[str, dict[str, Any]] | None = None  # publications held while catching up, by topic
        self._catch_up_to = 0
        self._on_bus: dict[str, bytes] = {}  # topic -> digest of what the bus carries (published or found)
        self._template_overrides: dict[str, TemplateSpec] = {}  # published from the console
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._explained: dict[str, str] = {}
        self._explain_due = True  # something happened since the explanations were last published
        self._explained_at = -EXPLAIN_EVERY_S
        self.started = asyncio.Event()

    async def run(self) -> None:
        """Run until cancelled."""
        async with self._lock:
            after = await self._resume()
            await self._publish_explanations()
        self.started.set()
        ticker = asyncio.create_task(self._tick_forever(), name="engine-ticker")
        keeper = asyncio.create_task(self._checkpoint_forever(), name="engine-checkpoints")
        reporter = asyncio.create_task(self._report_position_forever(), name="engine-position")
        try:
            async for run in self._bus.tail(INGEST_TOPIC, after):
                await self._take_run(run)
        finally:
            await cancel_and_wait(reporter)
            await cancel_and_wait(keeper)
            await cancel_and_wait(ticker)
            self.started.clear()
            if self._leading():
                await self.checkpoint()  # a leader that lost its lease leaves the checkpoint to the next one

    async def _resume(self) -> int:
        """Load the checkpoint and staff decisions; returns the ``_ingest`` offset to go on after."""
        now = self._clock()
        self._explained, self._on_bus, self._held, self._position = {}, {}, None, None
        self._feeds_report, self._explain_due, self._explained_at = "", True, -EXPLAIN_EVERY_S
        saved = await self._store.get(CHECKPOINT_KIND, CHECKPOINT_ID) if self._store is not None else None
        decisions = await staff_decisions(self._store, now) if self._store is not None else None
        if decisions is not None:
            self._template_overrides = dict(decisions.templates)
        head = await self._bus.latest(INGEST_TOPIC)
        pipeline = self.pipeline.fresh(self._with_overrides(self._base_config))
        # The bus still holds what was published since the checkpoint only if its ``_ingest`` epoch is the same.
        kept = saved is not None and head is not None and saved.get("ingest", {}).get("epoch") == head.epoch
        outcome: Outcome | None = None
        if saved is not None:
            try:
                outcome = restored(pipeline, saved.get("pipeline"), now, republish=not kept)
            except ValueError as exc:
                log.error("checkpoint not used, starting afresh: %s", exc)
                pipeline, kept = pipeline.fresh(pipeline.config), False
        self.pipeline = pipeline
        if outcome is None:
            outcome = pipeline.start(now)
        if decisions is not None:
            outcome.extend(self._staff(decisions, now))
        after = int(saved["ingest"]["offset"]) if kept and saved is not None else 0
        self._catch_up_to = head.offset if head is not None else 0
        if after < self._catch_up_to:
            self._held = {}
            log.info("catching up on _ingest entries %d to %d before publishing", after + 1, self._catch_up_to)
        await self._publish(outcome)
        return after

    def _staff(self, decisions: StaffDecisions, now: datetime) -> Outcome:
        """Make the broadcasts and emergencies in force what the Store says (a stop whose command was lost
        included)."""
        outcome, pipeline = Outcome(), self.pipeline
        broadcasts = {m.id: m for m in decisions.broadcasts}
        for message in [*pipeline.messages.values(), *pipeline.scheduled.values()]:
            if message.id.startswith("broadcast:") and message.id not in broadcasts:
                outcome.extend(pipeline.remove_message(message.id, now, "stopped (not in the store)"))
        for message in decisions.broadcasts:
            if message != (pipeline.messages.get(message.id) or pipeline.scheduled.get(message.id)):
                outcome.extend(pipeline.put_message(message, now))
        emergencies = {a.id: a for a in decisions.emergencies}
        for alert in list(pipeline.alerts.values()):
            if alert.source.startswith("console:") and alert.id not in emergencies:
                cancel = Alert(f"{alert.id}.cancel", alert.source, now, "cancel", "unknown", "past", "", {}, {},
                               (), None, (alert.id,))
                outcome.extend(pipeline.ingest([], [cancel], now))
        fresh = [a for a in decisions.emergencies if a.id not in pipeline.alerts]
        if fresh:
            outcome.extend(pipeline.ingest([], fresh, now))
        return outcome

    async def _caught_up(self) -> None:
        held, self._held = self._held or {}, None
        for topic, data in held.items():
            await self._publish_state(topic, data)
        log.info("caught up: %d topic(s) published", len(held))

    async def _checkpoint_forever(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            await self.checkpoint()

    async def _report_position_forever(self) -> None:
        """Say how far in ``_ingest`` the engine is, so that intakes stop accepting before it falls so far
        behind that the bus would drop what they accepted (``ingest_backlog``)."""
        reported: tuple[str, int] | None = None
        while True:
            await asyncio.sleep(POSITION_EVERY_S)
            if self._store is not None and self._position is not None and self._position != reported:
                reported = self._position
                await self._store.put(*ENGINE_POSITION, {"epoch": reported[0], "offset": reported[1]})

    async def checkpoint(self) -> None:
        """Write the state and the ``_ingest`` position to the Store, if anything changed since the last time."""
        if self._store is None or not self._checkpoint_due or self._held is not None:
            return
        async with self._lock:
            self._checkpoint_due = False
            epoch, offset = self._position or ("", 0)
            document = json.loads(dumps({"pipeline": snapshot(self.pipeline, self._clock()),
                                         "ingest": {"epoch": epoch, "offset": offset}}))
        await self._store.put(CHECKPOINT_KIND, CHECKPOINT_ID, document)

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

    async def _take_run(self, run: list[Update]) -> None:
        """Apply ``_ingest`` entries in order, a step at a time (``_steps``): a burst that waited while the engine
        was busy costs one look at each rule it wakes and one render of each panel it changes, not one per
        delivery, and the panels show its end rather than each moment of it."""
        for last, entry in _steps(run):
            if isinstance(entry, list):
                await self._deliver(entry)
            elif entry is not None:
                await self._take(entry)
            await self._applied(last)

    async def _applied(self, update: Update) -> None:
        self._position = (update.epoch, update.offset)
        self._checkpoint_due = True
        if self._held is not None and update.offset >= self._catch_up_to:
            await self._caught_up()

    async def _take(self, entry: Command | FeedFailure | Refusals) -> None:
        if isinstance(entry, Command):
            await self._command(entry)
        elif isinstance(entry, FeedFailure):
            self.health.error(entry.feed, entry.at, entry.reason, entry.where)
            self._explain_due = True
        else:
            self.health.unauthenticated(entry.feed, entry.at, entry.count, entry.reason)
            self._explain_due = True

    async def _deliver(self, deliveries: list[Delivery]) -> None:
        """One step for deliveries of one feed, in the order they came."""
        began = time.perf_counter()
        for delivery in deliveries:
            self.health.success(delivery.feed, delivery.received_at,
                                max((o.observed_at for o in delivery.observations), default=None))
        observations = [o for delivery in deliveries for o in delivery.observations]
        alerts = [a for delivery in deliveries for a in delivery.alerts]
        async with self._lock:
            outcome = self.pipeline.ingest(observations, alerts, self._clock())
            await self._publish(outcome)
        self._metrics.observations.labels(feed=deliveries[0].feed).inc(len(observations))
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
            if self._explain_due:  # explanations held back by their interval leave when it ends
                wait = min(wait, max(0.0, self._explained_at + EXPLAIN_EVERY_S - time.monotonic()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            async with self._lock:
                await self._publish(self.pipeline.advance(self._clock()))
                await self._publish_explanations()

    async def _publish_explanations(self) -> None:
        """At most every ``EXPLAIN_EVERY_S``, publish each panel's explanation that changed since the last one,
        and the feeds' health report: operators read them, and a busy feed must not republish them with every
        delivery."""
        if not self._explain_due or time.monotonic() - self._explained_at < EXPLAIN_EVERY_S:
            return
        self._explain_due, self._explained_at = False, time.monotonic()
        report = self.feed_report()
        for feed in report:
            self._metrics.feed_stale_keys.labels(feed=feed["feed"]).set(feed["stale_count"])
            if feed["lag_s"] is not None:
                self._metrics.feed_lag.labels(feed=feed["feed"]).set(feed["lag_s"])
        digest = json.dumps([{k: v for k, v in f.items() if k != "rate_per_min"} for f in report], sort_keys=True)
        if digest != self._feeds_report:
            self._feeds_report = digest
            await self._publish_state(FEEDS_TOPIC, {"feeds": report})
        now = self._clock()
        explanations = []
        for panel_id in self.pipeline.config.panels:
            document = explanation_document(self.pipeline.explain(panel_id, now))
            digest = json.dumps(document, sort_keys=True, default=str)
            if self._explained.get(panel_id) != digest:
                self._explained[panel_id] = digest
                explanations.append((EXPLAIN_PREFIX + panel_id, document))
        await self._publish_states(explanations)

    async def _publish(self, outcome: Outcome) -> None:
        if outcome.records:
            self._explain_due = True
            self._checkpoint_due = True
        states: list[tuple[str, dict[str, Any]]] = []
        for publication in outcome.publications:
            data = dict(publication.data)
            if publication.topic == PUSH_TOPIC:
                await self._publish_states(states)  # what the push speaks of is on the bus before it
                states = []
                await self._push(data)
            else:
                states.append((publication.topic, data))
        await self._publish_states(states)
        for record in outcome.records:
            if record.kind == "error":
                log.warning("pipeline: %s", record.data.get("reason"))
        self._metrics.active_messages.set(len(self.pipeline.messages))

    async def _publish_state(self, topic: str, data: dict[str, Any]) -> None:
        await self._publish_states([(topic, data)])

    async def _publish_states(self, states: list[tuple[str, dict[str, Any]]]) -> None:
        """Publish each (topic, data) unless the bus carries exactly that already (a restarted engine gives
        clients no new offset for what they have), all in one round trip. While catching up, only the last state
        of each topic is kept, to leave once caught up."""
        if self._held is not None:
            self._held.update(states)
            return
        changed: list[tuple[str, dict[str, Any]]] = []
        digests: list[bytes] = []
        for topic, data in dict(states).items():  # a topic twice in one outcome: its last state is what holds
            digest = _digest(data)
            if topic not in self._on_bus:
                latest = await self._bus.latest(topic)
                self._on_bus[topic] = b"" if latest is None else _digest(latest.data)
            if self._on_bus[topic] != digest:
                changed.append((topic, data))
                digests.append(digest)
        if not changed:
            return
        await self._bus.publish_many(changed, self._fence())
        for (topic, _), digest in zip(changed, digests, strict=True):
            self._on_bus[topic] = digest
            self._metrics.publications.inc()
            if topic.startswith(panel_topic("")):
                self._metrics.panel_changes.inc()

    async def _push(self, decision: dict[str, Any]) -> None:
        """Queue the decision's job under its key (message, content, topic), then publish it for operators: the
        job is never lost between the two, and a decision made again is neither queued nor published again."""
        if self._jobs is not None:
            key = hashlib.blake2b(dumps([decision.get("topic"), decision.get("message"), decision.get("texts"),
                                         decision.get("severity")], sort_keys=True).encode(),
                                  digest_size=16).hexdigest()
            keep_s = min(MAX_PUSH_KEY_S, max(60.0, float(decision.get("ttl_s") or 0)))
            if not await self._jobs.put({"kind": "decision", "key": key, "decision": decision}, key=key, keep_s=keep_s,
                                        fence=self._fence()):
                log.info("push on %s for %s already decided before: not sent again", decision.get("topic"),
                         decision.get("message"))
                return
        await self._bus.publish(PUSH_TOPIC, decision, self._fence())
        self._metrics.publications.inc()


CLOCK_FIELDS = ("age_s", "updated_at")  # what changes with the clock alone, not with what a document says


def _digest(data: Any) -> bytes:
    """What a document says, without its clock stamps: a value applied again after a restart is the same."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in CLOCK_FIELDS}
    return hashlib.blake2b(dumps(data, sort_keys=True).encode(), digest_size=16).digest()


def _steps(run: list[Update]) -> Iterator[tuple[Update, list[Delivery] | Command | FeedFailure | Refusals | None]]:
    """The run as steps, each with the last update it covers: deliveries of one feed that follow each other
    together (up to ``STEP_OBSERVATIONS``), every other entry alone (None for one that is not a valid document)."""
    step: list[Delivery] = []
    taken, last = 0, None  # observations in the step, and its last update
    for update in run:
        entry = _read(update.data)
        if step and not (isinstance(entry, Delivery) and entry.feed == step[0].feed and taken < STEP_OBSERVATIONS):
            assert last is not None
            yield last, step
            step, taken = [], 0
        if isinstance(entry, Delivery):
            step.append(entry)
            taken, last = taken + len(entry.observations), update
        else:
            yield update, entry
    if step:
        assert last is not None
        yield last, step


def _read(payload: Any) -> Delivery | Command | FeedFailure | Refusals | None:
    try:
        return read_ingest(payload)
    except (KeyError, TypeError, ValueError) as exc:
        log.error("ingest entry skipped: not a valid document (%s)", exc)
        return None
