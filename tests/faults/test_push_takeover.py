"""A push worker dies in the middle of a batch: the worker that takes the batch over sends only to the phones
not yet served. Real Redis queue and store, a local push service that decrypts each message."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from channels.push_sender import PushSender, VapidKeys
from channels.push_subscriptions import SubscriptionStore, parse_subscription, subscription_id
from channels.push_worker import SERVED, PushWorker
from signage.cli import _new_vapid_private_key
from signage.metrics import Metrics
from signage.store.redis import RedisStore
from signage.work_queue.redis import RedisWorkQueue
from tests.conftest import free_port
from tests.helpers import eventually
from tests.push_service import PushServiceState, local_push_service, subscriber_info

PHONES = [f"phone-{n}" for n in range(6)]
DECISION = {"topic": "alerts/dijon", "message": "alert:FO1", "title": "Crue", "body": "Crue de l'Ouche",
            "language": "fr", "texts": {}, "tag": "alert:FO1", "severity": "severe", "urgent": True,
            "urgency": "high", "ttl_s": 3600}


async def test_a_batch_taken_over_is_sent_only_to_the_phones_not_yet_served(redis_url: str,
                                                                             redis_prefix: str) -> None:
    state = PushServiceState(delay_s=0.3)
    runner = web.AppRunner(local_push_service(state))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    service = f"http://127.0.0.1:{port}"
    store = RedisStore(redis_url, redis_prefix)
    subscriptions = SubscriptionStore(store)
    for phone in PHONES:
        await subscriptions.save(parse_subscription(
            {**subscriber_info(service, phone), "topics": ["alerts/dijon"]}, services=("http://127.0.0.1:*",),
            languages=("fr",), topic_ok=lambda t: True), datetime.now(UTC))
    queue = RedisWorkQueue(redis_url, redis_prefix, reclaim_after_s=0.5)
    keys = VapidKeys(_new_vapid_private_key(), "mailto:ops@example.org")
    async with aiohttp.ClientSession() as session:
        def worker(name: str) -> PushWorker:  # one push at a time, so that a death lands between phones
            return PushWorker(queue, subscriptions, PushSender(session, keys, per_service=1), Metrics(),
                              name=name, served=store)

        await queue.put({"kind": "batch", "key": "k1", "decision": DECISION,
                         "ids": [subscription_id(f"{service}/push/{p}") for p in PHONES]})
        first = worker("first")
        job = await queue.take(first.name)
        assert job is not None
        dying = asyncio.create_task(first.process(job))

        async def two_served() -> bool:
            ids = [f"k1:{subscription_id(f'{service}/push/{p}')}" for p in PHONES]
            return len(await store.claimed(SERVED, ids)) >= 2

        await eventually(two_served, timeout=10, what="two phones served by the first worker")
        served_before = Counter(r.name for r in state.received)
        dying.cancel()  # the worker dies: its job is neither done nor acknowledged
        await asyncio.gather(dying, return_exceptions=True)
        second = worker("second")
        taken = await eventually(lambda: queue.take(second.name, timeout_s=0.2), timeout=10, what="the takeover")
        assert taken.attempts == 2
        await second.process(taken)
        await queue.done(taken)
        await eventually(lambda: set(r.name for r in state.received) == set(PHONES), timeout=10)
    counts = Counter(r.name for r in state.received)
    for phone, times in served_before.items():
        assert counts[phone] == times == 1, counts  # served before the death: not sent again
    # Only the phone whose push was in flight when the worker died may have it twice (same tag: replaced).
    assert sum(counts.values()) <= len(PHONES) + 1, counts
    await queue.close()
    await store.close()
    await runner.cleanup()
