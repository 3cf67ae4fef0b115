"""Push workers: take push jobs from the shared queue and send them, so that several processes share the work.

A push decision (one per topic, from the engine) becomes batch jobs of at most ``batch_size`` subscriptions, so
that every worker can take a share of a topic with many phones. A batch job sends to each phone in its own
language, skips phones in their quiet hours unless the message is urgent, and forgets phones whose push
service answered 404 or 410. A job is acknowledged only when done: if the worker dies, another takes it over.

At least once, never twice per phone: each phone served is recorded (a claim under the decision's key), and a
batch taken over from a dead worker sends only to the phones not recorded yet. Only a phone whose push was in
flight at the moment of the death can get it again, and then its notification replaces the first (same tag,
same Web Push ``Topic``) rather than showing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from channels.push_sender import PushSender
from channels.push_subscriptions import Subscription, SubscriptionStore
from renderers.push import push_payload
from signage.metrics import Metrics
from signage.store import Store
from signage.work_queue import Job, WorkQueue, worker_name

__all__ = ["PushWorker"]

log = logging.getLogger("signage.push")
MAX_ATTEMPTS = 5  # a job handed out this often is poison: log it and let it go
SERVED = "push_served"  # claims ``<decision key>:<subscription id>``: that phone has had that push
SERVED_KEEP_S = 24 * 3600.0
CLAIMS_EVERY_S, CLAIMS_AT_ONCE = 0.05, 64  # what a worker's death can leave unrecorded, and so sent again


class PushWorker:
    def __init__(self, queue: WorkQueue, subscriptions: SubscriptionStore, sender: PushSender, metrics: Metrics,
                 *, timezone: Callable[[], str] = lambda: "UTC", batch_size: int = 200, name: str | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), served: Store | None = None) -> None:
        self._queue = queue
        self._subscriptions = subscriptions
        self.sender = sender
        self._metrics = metrics
        self._timezone = timezone  # read at each use: a configuration edit moves the city's clocks at once
        self._batch_size = batch_size
        self.name = name or worker_name()
        self._clock = clock
        self._served = served  # which phones each decision reached, so that a taken-over batch skips them
        # Phones served but not yet recorded: written together, at most CLAIMS_EVERY_S after the first of them or
        # CLAIMS_AT_ONCE at a time, instead of one Redis write per phone.
        self._claims: list[str] = []
        self._claims_due: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            job = await self._queue.take(self.name)
            if job is None:
                continue
            if job.attempts > MAX_ATTEMPTS:
                log.error("push job %s dropped after %d attempts", job.id, job.attempts)
                await self._queue.done(job)
                continue
            await self.process(job)
            await self._queue.done(job)

    async def process(self, job: Job) -> None:
        kind = job.data.get("kind")
        key = str(job.data["key"]) if job.data.get("key") else None
        if kind == "decision":
            decision = job.data["decision"]
            ids = await self._subscriptions.ids_for(str(decision["topic"]))
            for start in range(0, len(ids), self._batch_size):
                # Keyed, so that a decision job taken over from a dead worker does not queue its batches twice.
                await self._queue.put({"kind": "batch", "key": key, "decision": decision,
                                       "ids": ids[start : start + self._batch_size]},
                                      key=f"{key}:batch:{start}" if key else None)
        elif kind == "batch":
            decision = job.data["decision"]
            ids = [str(i) for i in job.data["ids"]]
            if key is not None and self._served is not None and job.attempts > 1:
                done = await self._served.claimed(SERVED, [f"{key}:{i}" for i in ids])
                ids = [i for i in ids if f"{key}:{i}" not in done]
            found = await self._subscriptions.get_many(ids)
            try:
                outcomes = await asyncio.gather(*(self._serve(key, decision, i, found.get(i)) for i in ids))
            finally:
                await self._record_claims()
            for outcome in outcomes:
                self._metrics.push_messages.labels(outcome=outcome).inc()
        else:
            log.error("push job %s of unknown kind %r ignored", job.id, kind)
            return
        self._metrics.push_jobs.labels(kind=str(kind)).inc()

    async def _serve(self, key: str | None, decision: dict[str, Any], sub_id: str,
                     subscription: Subscription | None) -> str:
        outcome = await self._send_one(decision, sub_id, subscription)
        if key is not None and self._served is not None and outcome != "failed":  # a failure may be tried again
            self._claims.append(f"{key}:{sub_id}")
            if len(self._claims) >= CLAIMS_AT_ONCE:
                await self._record_claims()
            elif self._claims_due is None:
                self._claims_due = asyncio.create_task(self._record_claims_soon())
        return outcome

    async def _record_claims_soon(self) -> None:
        await asyncio.sleep(CLAIMS_EVERY_S)
        self._claims_due = None
        await self._record_claims()

    async def _record_claims(self) -> None:
        """Record the phones served so far: a batch taken over from this worker if it dies skips them."""
        due, self._claims_due = self._claims_due, None
        if due is not None and due is not asyncio.current_task():
            due.cancel()
        claims, self._claims = self._claims, []
        if claims and self._served is not None:
            await self._served.claim_many(SERVED, claims, SERVED_KEEP_S)

    async def _send_one(self, decision: dict[str, Any], sub_id: str, subscription: Subscription | None) -> str:
        if subscription is None:
            return "missing"  # unsubscribed since the decision
        if not decision.get("urgent") and self._quiet(subscription):
            return "quiet"
        result = await self.sender.send(subscription, self.payload(decision, subscription),
                                         ttl_s=int(decision.get("ttl_s", 4 * 3600)),
                                         urgency=str(decision.get("urgency", "normal")),
                                         topic=str(decision["topic"]))
        self._metrics.push_attempts.inc(result.attempts)
        if result.outcome == "gone":
            await self._subscriptions.delete(sub_id)
        elif result.outcome in ("rejected", "failed"):
            log.warning("push to subscription %s…: %s (status %s after %d attempts)", sub_id[:8],
                        result.outcome, result.status, result.attempts)
        return result.outcome

    def _quiet(self, subscription: Subscription) -> bool:
        quiet = subscription.quiet_hours
        return quiet is not None and quiet.contains(self._clock().astimezone(ZoneInfo(self._timezone())).time())

    @staticmethod
    def payload(decision: dict[str, Any], subscription: Subscription) -> bytes:
        texts = decision.get("texts") or {}
        text = texts.get(subscription.language) or {"title": decision["title"], "body": decision["body"]}
        language = subscription.language if subscription.language in texts else str(decision["language"])
        return push_payload(title=str(text["title"]), body=str(text["body"]), url=f"/#{decision['topic']}",
                            tag=str(decision["tag"]), language=language,
                            severity=str(decision["severity"]) if decision.get("severity") else None)


