"""What operators read of a process's own health: how late its event loop runs and how long the cycle collector
held it (``/metrics``), and that a served process keeps what it loaded at start out of the collector's walks."""

from __future__ import annotations

import gc
import re
import time
from typing import Any

from signage.collector_pauses import freeze_what_is_loaded, watch_pauses
from tests.helpers import eventually


def _value(metrics: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_the_loop_lag_and_collector_pauses_are_in_the_metrics(client: Any) -> None:
    async def lag_counted() -> bool:
        metrics = await (await client.get("/metrics")).text()
        return _value(metrics, "signage_loop_lag_seconds_count") >= 3

    await eventually(lag_counted, what="the loop watch reports its wake-ups")
    gc.collect()
    metrics = await (await client.get("/metrics")).text()
    assert _value(metrics, 'signage_gc_pause_seconds_count{generation="2"}') >= 1
    # A blocked loop shows: 300 ms without yielding wakes the watch at least 250 ms late.
    before = _value(metrics, 'signage_loop_lag_seconds_bucket{le="0.1"}')
    count_before = _value(metrics, "signage_loop_lag_seconds_count")
    time.sleep(0.3)

    async def stall_seen() -> bool:
        now = await (await client.get("/metrics")).text()
        late = (_value(now, "signage_loop_lag_seconds_count") - count_before) - (
            _value(now, 'signage_loop_lag_seconds_bucket{le="0.1"}') - before)
        return late >= 1

    await eventually(stall_seen, what="the stall is counted as more than 100 ms late")


def test_what_is_loaded_at_start_is_kept_out_of_collections() -> None:
    loaded = [{"n": n} for n in range(50_000)]  # as a configuration, its rules and templates are
    pauses: list[tuple[int, float]] = []
    watching = len(gc.callbacks)
    unwatch = watch_pauses(lambda generation, seconds: pauses.append((generation, seconds)))
    try:
        freeze_what_is_loaded()
        assert gc.get_freeze_count() >= len(loaded)
        gc.collect()
        assert pauses and pauses[-1][0] == 2
    finally:
        unwatch()
        gc.unfreeze()
    assert len(gc.callbacks) == watching  # stopped watching: nothing left behind
