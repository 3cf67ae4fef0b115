"""The hub under a storm of subscribes: one read of the bus per topic answers every subscriber asking at once,
and a topic with nothing yet is not read again and again."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.hub import ABSENT_FOR_S, Hub
from signage.bus.memory import MemoryBus


class CountingBus(MemoryBus):
    """The in-memory bus, counting reads of a topic's latest update and taking a while to answer, as Redis does."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def latest(self, topic: str) -> Any:
        self.reads += 1
        await asyncio.sleep(0.01)
        return await super().latest(topic)


async def test_a_thousand_subscribes_at_once_read_the_bus_once_per_topic() -> None:
    bus = CountingBus()
    await bus.publish("panel/darcy", {"multi": "DARCY 12"})
    hub = Hub(bus)
    answers = await asyncio.gather(*(hub.latest("panel/darcy") for _ in range(1000)))
    assert bus.reads == 1 and all(a is not None and a.data == {"multi": "DARCY 12"} for a in answers)
    empty = await asyncio.gather(*(hub.latest("alerts/dijon-centre") for _ in range(1000)))
    assert bus.reads == 2 and empty == [None] * 1000
    await hub.latest("alerts/dijon-centre")
    assert bus.reads == 2  # nothing there a moment ago: not asked again at once


async def test_an_empty_topic_shows_its_first_update_at_once_and_is_read_again_later() -> None:
    bus = CountingBus()
    hub = Hub(bus)
    running = asyncio.create_task(hub.run())
    await asyncio.sleep(0.05)  # the live stream is followed
    try:
        assert await hub.latest("alerts/dijon-centre") is None
        await bus.publish("alerts/dijon-centre", {"alerts": ["crue"]})
        update = None
        for _ in range(100):  # the live stream brings it: no need to wait for the bus to be read again
            update = await hub.latest("alerts/dijon-centre")
            if update is not None:
                break
            await asyncio.sleep(0.01)
        assert update is not None and update.data == {"alerts": ["crue"]} and bus.reads == 1
        assert await hub.latest("waste/rue-monge") is None
        await asyncio.sleep(ABSENT_FOR_S + 0.05)
        assert await hub.latest("waste/rue-monge") is None and bus.reads == 3  # asked again after a while
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_failed_read_reaches_every_waiting_subscriber_and_the_next_one_tries_again() -> None:
    class FailingOnce(CountingBus):
        async def latest(self, topic: str) -> Any:
            self.reads += 1
            await asyncio.sleep(0.01)
            if self.reads == 1:
                raise ConnectionError("redis went away")
            return None

    hub = Hub(FailingOnce())
    results = await asyncio.gather(*(hub.latest("parking/darcy") for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await hub.latest("parking/darcy") is None
