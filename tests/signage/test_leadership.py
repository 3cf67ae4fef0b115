"""Engine leadership on a real Redis: one leader at a time, a standby takes over when the lease lapses, and a
leader that lost its lease (a long pause) can write nothing: Redis refuses its publications and push jobs."""

from __future__ import annotations

import asyncio

import pytest

from signage.bus.redis import RedisBus
from signage.leadership import Leadership
from signage.protocol import Fenced
from signage.work_queue.redis import RedisWorkQueue
from tests.helpers import eventually


async def test_one_leads_and_the_other_takes_over_when_its_lease_lapses(redis_url: str, redis_prefix: str) -> None:
    first = Leadership(redis_url, redis_prefix, ttl_s=1.0)
    second = Leadership(redis_url, redis_prefix, ttl_s=1.0)
    running = asyncio.create_task(first.run())
    await eventually(lambda: first.leading, what="the first engine leads")
    standing_by = asyncio.create_task(second.run())
    await eventually(lambda: second.role == "standby" and first.role == "leader", what="the second stands by")
    running.cancel()  # the leader stops renewing (without releasing: as if killed)
    await asyncio.gather(running, return_exceptions=True)
    await eventually(lambda: second.leading, timeout=5, what="the standby takes over")
    standing_by.cancel()
    await asyncio.gather(standing_by, return_exceptions=True)
    await first.close()
    await second.close()


async def test_a_leader_that_lost_its_lease_cannot_publish_or_queue(redis_url: str, redis_prefix: str) -> None:
    paused = Leadership(redis_url, redis_prefix, ttl_s=0.5)
    await paused._step()  # takes the lease, then pauses: never renews it
    stale = paused.fence()
    assert stale is not None
    bus, jobs = RedisBus(redis_url, redis_prefix), RedisWorkQueue(redis_url, redis_prefix)
    await bus.publish("parking/darcy", {"free": 1}, stale)  # while it holds the lease, it writes
    successor = Leadership(redis_url, redis_prefix, ttl_s=5.0)

    async def taken_over() -> bool:
        await successor._step()
        return successor.leading

    await eventually(taken_over, timeout=5, what="another engine holds the lease")
    with pytest.raises(Fenced):
        await bus.publish("parking/darcy", {"free": 2}, stale)
    with pytest.raises(Fenced):
        await jobs.put({"kind": "decision"}, fence=stale)
    latest = await bus.latest("parking/darcy")
    assert latest is not None and latest.data == {"free": 1}
    assert await jobs.pending() == 0
    await bus.publish("parking/darcy", {"free": 3}, successor.fence())  # the new leader writes
    for closing in (paused.close(), successor.close(), bus.close(), jobs.close()):
        await closing


async def test_a_deposed_leader_publishes_nothing_together_either(redis_url: str, redis_prefix: str) -> None:
    leader = Leadership(redis_url, redis_prefix, ttl_s=0.5)
    await leader._step()  # takes the lease, then pauses: never renews it
    stale = leader.fence()
    bus = RedisBus(redis_url, redis_prefix)
    await bus.publish_many([("parking/darcy", {"free": 1})], stale)
    successor = Leadership(redis_url, redis_prefix, ttl_s=5.0)
    await eventually(lambda: _taken(successor), timeout=5, what="another engine holds the lease")
    with pytest.raises(Fenced):
        await bus.publish_many([("parking/darcy", {"free": 2}), ("panel/gare", {"n": 1})], stale)
    latest = await bus.latest("parking/darcy")
    assert latest is not None and latest.data == {"free": 1} and await bus.latest("panel/gare") is None
    for closing in (leader.close(), successor.close(), bus.close()):
        await closing


async def _taken(successor: Leadership) -> bool:
    await successor._step()
    return successor.leading
