"""Push workers: take push jobs from the shared queue and send them, so that several processes share the work.

A push decision (one per topic, from the engine) becomes batch jobs of at most ``batch_size`` subscriptions, so
that every worker can take a share of a topic with many phones. A batch job sends to each phone in its own
language, skips phones in their quiet hours unless the message is urgent, and forgets phones whose push
service answered 404 or 410. A job is acknowledged only when done: if the worker dies, another takes it over.
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
from signage.work_queue import Job, WorkQueue, worker_name

__all__ = ["PushWorker"]

log = logging.getLogger("signage.push")
MAX_ATTEMPTS = 5  # a job handed out this often is poison: log it and let it go


class PushWorker:
    def __init__(self, queue: WorkQueue, subscriptions: SubscriptionStore, sender: PushSender, metrics: Metrics,
                 *, timezone: Callable[[], str] = lambda: "UTC", batch_size: int = 200, name: str | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._queue = queue
        self._subscriptions = subscriptions
        self.sender = sender
        self._metrics = metrics
        self._timezone = timezone  # read at each use: a configuration edit moves the city's clocks at once
        self._batch_size = batch_size
        self.name = name or worker_name()
        self._clock = clock

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
        if kind == "decision":
            decision = job.data["decision"]
            ids = await self._subscriptions.ids_for(str(decision["topic"]))
            for start in range(0, len(ids), self._batch_size):
                await self._queue.put({"kind": "batch", "decision": decision,
                                       "ids": ids[start : start + self._batch_size]})
        elif kind == "batch":
            decision = job.data["decision"]
            ids = [str(i) for i in job.data["ids"]]
            found = await self._subscriptions.get_many(ids)
            outcomes = await asyncio.gather(*(self._send_one(decision, i, found.get(i)) for i in ids))
            for outcome in outcomes:
                self._metrics.push_messages.labels(outcome=outcome).inc()
        else:
            log.error("push job %s of unknown kind %r ignored", job.id, kind)
            return
        self._metrics.push_jobs.labels(kind=str(kind)).inc()

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


