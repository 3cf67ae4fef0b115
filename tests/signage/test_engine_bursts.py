"""A burst of deliveries that waited while the engine was busy is taken in one step: phones and panels get its
end, once, instead of every moment of it, and nothing in it is lost; deliveries of different feeds and staff
commands between them keep their order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signage.bus import Bus, open_bus
from signage.config import demo_config_path, load_config
from signage.engine import STEP_OBSERVATIONS, Engine
from signage.metrics import Metrics
from signage.model import Observation
from signage.protocol import INGEST_TOPIC, delivery_document
from signage.tasks import cancel_and_wait
from tests.helpers import eventually

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def running() -> AsyncIterator[tuple[Engine, Bus, Metrics]]:
    bus = open_bus(None)
    metrics = Metrics()
    engine = Engine(load_config(demo_config_path()), bus, metrics)
    task = asyncio.create_task(engine.run())
    await asyncio.wait_for(engine.started.wait(), timeout=10)
    yield engine, bus, metrics
    await cancel_and_wait(task)
    await bus.close()


def _parking(feed: str, park: str, free: int, seconds: float) -> dict[str, Any]:
    at = NOW + timedelta(seconds=seconds)
    return delivery_document(feed, at, [Observation(f"parking/{park}", {"free": free}, at, feed)], [])


def _steps(metrics: Metrics) -> float:
    return float(metrics.registry.get_sample_value("signage_pipeline_seconds_count") or 0)


async def _free(engine: Engine, park: str) -> Any:
    value = engine.pipeline.state.get(f"parking/{park}")
    return value.fields.get("free") if value else None


async def test_a_burst_is_one_step_and_phones_get_its_end_once(running: tuple[Engine, Bus, Metrics]) -> None:
    engine, bus, metrics = running
    before_steps = _steps(metrics)
    before_updates = len(await bus.history("parking/darcy"))
    for n in range(40):  # the engine is busy elsewhere: all forty wait on the stream
        await bus.publish(INGEST_TOPIC, _parking("ngsi", "darcy", 100 + n, n * 0.01))

    await eventually(lambda: _is(engine, "darcy", 139), what="the burst's last value is the live one")
    assert _steps(metrics) - before_steps == 1
    updates = (await bus.history("parking/darcy"))[before_updates:]
    assert [u.data["free"] for u in updates] == [139]  # one update, with the end of the burst
    observed = metrics.registry.get_sample_value("signage_observations_total", {"feed": "ngsi"})
    assert observed is not None and observed >= 40  # every delivery counted, none dropped


async def test_feeds_in_a_burst_keep_their_order(running: tuple[Engine, Bus, Metrics]) -> None:
    """Deliveries of two feeds that alternate are applied in order, each feed's run a step of its own (what a
    rule reads as the event's source stays true), and the later reading of a key wins."""
    engine, bus, metrics = running
    before = _steps(metrics)
    await bus.publish(INGEST_TOPIC, _parking("ngsi", "dauphine", 10, 1))
    await bus.publish(INGEST_TOPIC, _parking("ngsi", "grangier", 20, 1))
    await bus.publish(INGEST_TOPIC, _parking("ngsi-bis", "dauphine", 11, 2))
    await bus.publish(INGEST_TOPIC, _parking("ngsi", "dauphine", 12, 3))
    await eventually(lambda: _is(engine, "dauphine", 12), what="the last reading of Dauphine is live")
    assert await _free(engine, "grangier") == 20
    assert _steps(metrics) - before == 3


async def test_a_step_takes_a_bounded_number_of_observations(running: tuple[Engine, Bus, Metrics]) -> None:
    """A burst larger than a step goes in several, so the loop serves meanwhile; nothing is left behind."""
    engine, bus, metrics = running
    before = _steps(metrics)
    per_delivery = 100
    deliveries = 2 * STEP_OBSERVATIONS // per_delivery + 1
    for n in range(deliveries):
        at = NOW + timedelta(seconds=10 + n)
        observations = [Observation(f"parking/p{i}", {"free": n}, at, "ngsi") for i in range(per_delivery)]
        await bus.publish(INGEST_TOPIC, delivery_document("ngsi", at, observations, []))
    await eventually(lambda: _is(engine, f"p{per_delivery - 1}", deliveries - 1), what="the burst applied")
    assert _steps(metrics) - before == 3


async def _is(engine: Engine, park: str, free: int) -> bool:
    return bool(await _free(engine, park) == free)
