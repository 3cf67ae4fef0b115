"""One contract for every bus backend: the embedded one and Redis (a real server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from signage.bus import TAIL_RUN, Bus, Update, open_bus
from tests.helpers import eventually

PROBE = "probe/attached"


async def attached(bus: Bus, probes: list[Update]) -> None:
    """Publish probes until the listener has one: from then on it receives whatever is published."""
    async def probe_received() -> bool:
        await bus.publish(PROBE, {})
        return bool(probes)

    await eventually(probe_received, what="the live listener attached")


async def listening(bus: Bus, count: int) -> tuple[list[Update], asyncio.Task[None]]:
    """A live reader, attached, that keeps the first ``count`` public updates after the probes, then ends."""
    received: list[Update] = []
    probes: list[Update] = []

    async def listen() -> None:
        async for update in bus.live():
            (probes if update.topic == PROBE else received).append(update)
            if len(received) == count:
                return

    task = asyncio.create_task(listen())
    await attached(bus, probes)
    return received, task


@pytest.fixture
async def bus(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    if backend == "redis":
        instance = open_bus(request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix"), 5)
    else:
        instance = open_bus(None, history=5)
    yield instance
    await instance.close()


async def test_offsets_increase_per_topic_within_one_epoch(bus: Bus) -> None:
    a1 = await bus.publish("parking/darcy", {"free": 1})
    a2 = await bus.publish("parking/darcy", {"free": 2})
    b1 = await bus.publish("parking/monge", {"free": 3})
    assert (a1.offset, a2.offset, b1.offset) == (1, 2, 1)
    assert a1.epoch == a2.epoch and a1.epoch
    latest = await bus.latest("parking/darcy")
    assert latest is not None and (latest.offset, latest.data) == (2, {"free": 2})
    assert await bus.latest("parking/none") is None


async def test_since_replays_exactly_what_was_missed(bus: Bus) -> None:
    first = await bus.publish("air/dijon", {"index": 1})
    for index in (2, 3, 4):
        await bus.publish("air/dijon", {"index": index})
    missed = await bus.since("air/dijon", first.offset, first.epoch)
    assert missed is not None and [u.data["index"] for u in missed] == [2, 3, 4]
    assert [u.offset for u in missed] == [2, 3, 4]
    assert await bus.since("air/dijon", 4, first.epoch) == []


async def test_since_refuses_when_history_was_trimmed_or_the_epoch_changed(bus: Bus) -> None:
    first = await bus.publish("air/dijon", {"index": 0})
    # History is 5 (Redis trims approximately, by whole stream nodes of 100): the gap after offset 1 is gone.
    for index in range(1, 400):
        await bus.publish("air/dijon", {"index": index})
    assert await bus.since("air/dijon", first.offset, first.epoch) is None
    assert await bus.since("air/dijon", 399, "another-epoch") is None
    assert await bus.since("air/dijon", 999, first.epoch) is None


async def test_live_gets_every_public_update_in_order_but_not_internal_ones(bus: Bus) -> None:
    received, task = await listening(bus, 3)
    await bus.publish("parking/darcy", {"n": 1})
    await bus.publish("_ingest", {"n": "internal"})
    await bus.publish("panel/gare", {"n": 2})
    await bus.publish("parking/darcy", {"n": 3})
    await asyncio.wait_for(task, timeout=5)
    assert [(u.topic, u.data["n"]) for u in received] == [("parking/darcy", 1), ("panel/gare", 2),
                                                          ("parking/darcy", 3)]


async def test_tail_reads_history_then_waits_for_more(bus: Bus) -> None:
    await bus.publish("_ingest", {"n": 1})
    await bus.publish("_ingest", {"n": 2})
    seen: list[int] = []

    async def consume() -> None:
        async for run in bus.tail("_ingest", 0):
            seen.extend(update.data["n"] for update in run)
            if len(seen) == 3:
                return

    task = asyncio.create_task(consume())
    await eventually(lambda: seen == [1, 2], what="the history read: the consumer now waits")
    await bus.publish("_ingest", {"n": 3})
    await asyncio.wait_for(task, timeout=5)
    assert seen == [1, 2, 3]


async def test_internal_topics_keep_more_history_than_public_ones(bus: Bus) -> None:
    for n in range(20):
        await bus.publish("_ingest", {"n": n})
    replay = [u.data["n"] async for u in _take(bus.tail("_ingest", 0), 20)]
    assert replay == list(range(20))


async def _take(source: AsyncIterator[list[Update]], count: int) -> AsyncIterator[Update]:
    taken = 0
    async for run in source:
        for update in run:
            yield update
            taken += 1
            if taken == count:
                return


async def test_tail_hands_over_what_is_waiting_as_one_run_in_order(bus: Bus) -> None:
    """A burst the engine finds waiting is taken in one step, at most ``TAIL_RUN`` at a time, nothing skipped."""
    for n in range(TAIL_RUN + 20):
        await bus.publish("_ingest", {"n": n})
    runs = [[u.data["n"] for u in run] async for run in _runs(bus.tail("_ingest", 0), 2)]
    assert runs == [list(range(TAIL_RUN)), list(range(TAIL_RUN, TAIL_RUN + 20))]
    offsets = [u.offset async for u in _take(bus.tail("_ingest", TAIL_RUN + 10), 10)]
    assert offsets == list(range(TAIL_RUN + 11, TAIL_RUN + 21))


async def _runs(source: AsyncIterator[list[Update]], count: int) -> AsyncIterator[list[Update]]:
    taken = 0
    async for run in source:
        yield run
        taken += 1
        if taken == count:
            return


async def test_history_gives_what_is_retained_oldest_first(bus: Bus) -> None:
    assert await bus.history("parking/hist") == []
    for free in range(3):
        await bus.publish("parking/hist", {"free": free})
    history = await bus.history("parking/hist")
    assert [u.data["free"] for u in history] == [0, 1, 2]
    assert [u.offset for u in history] == [1, 2, 3] and len({u.epoch for u in history}) == 1


async def test_readers_get_a_detached_json_copy_never_the_publishers_object(bus: Bus) -> None:
    texts = {"fr": "Darcy"}
    data = {"lines": ("Darcy", "COMPLET"), "level": float("nan"), "texts": texts}
    received: list[Update] = []
    probes: list[Update] = []

    async def listen() -> None:
        async for update in bus.live():
            if update.topic == PROBE:
                probes.append(update)
                continue
            received.append(update)
            return

    listener = asyncio.create_task(listen())
    await attached(bus, probes)
    published = await bus.publish("parking/detached", data)
    texts["fr"] = "changed by the publisher afterwards"
    await asyncio.wait_for(listener, 5)
    expected = {"lines": ["Darcy", "COMPLET"], "level": None, "texts": {"fr": "Darcy"}}
    latest = await bus.latest("parking/detached")
    assert latest is not None and latest.data == expected
    assert published.data == expected and received[0].data == expected
    assert [u.data for u in await bus.history("parking/detached")] == [expected]


async def test_what_one_delivery_changes_is_published_together_in_order(bus: Bus) -> None:
    received, task = await listening(bus, 4)
    before = await bus.publish("panel/gare", {"n": 0})
    updates = await bus.publish_many([("parking/darcy", {"n": 1}), ("_explain/gare", {"n": "internal"}),
                                      ("panel/gare", {"n": 2}), ("parking/darcy", {"n": 3})])
    assert [(u.topic, u.offset) for u in updates] == [("parking/darcy", 1), ("_explain/gare", 1),
                                                      ("panel/gare", before.offset + 1), ("parking/darcy", 2)]
    await asyncio.wait_for(task, timeout=5)
    assert [(u.topic, u.data["n"]) for u in received] == [("panel/gare", 0), ("parking/darcy", 1),
                                                          ("panel/gare", 2), ("parking/darcy", 3)]
    assert await bus.publish_many([]) == []


async def test_publishing_together_survives_a_redis_that_forgot_its_scripts(redis_url: str,
                                                                           redis_prefix: str) -> None:
    import redis.asyncio as aioredis

    bus = open_bus(redis_url, redis_prefix)
    await bus.publish("parking/darcy", {"free": 1})
    admin = aioredis.Redis.from_url(redis_url)
    await admin.script_flush()  # as after a Redis restart
    await admin.aclose()
    updates = await bus.publish_many([("parking/darcy", {"free": 2}), ("parking/monge", {"free": 3})])
    assert [(u.offset, u.data) for u in updates] == [(2, {"free": 2}), (1, {"free": 3})]
    history = await bus.history("parking/darcy")
    assert [u.data["free"] for u in history] == [1, 2]  # each published once, not again on the retry
    await bus.close()
