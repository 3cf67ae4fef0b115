"""Python's cycle collector, kept from stalling the event loop.

A full collection walks every container object in the process: with the configuration, its compiled rules and
templates, and the SNMP MIBs loaded, that is about 120,000 objects and 60-70 ms during which no WebSocket update,
poll or delivery is served. What is loaded at start lives as long as the process, so ``freeze_what_is_loaded``
moves it out of the collector's sight once the server is up; only what the process makes afterwards is walked.
``watch_pauses`` reports every collection's duration (``signage_gc_pause_seconds``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

__all__ = ["freeze_what_is_loaded", "watch_pauses"]


def freeze_what_is_loaded() -> None:
    """Collect once, then keep every object alive now out of later collections (``gc.freeze``)."""
    gc.collect()
    gc.freeze()


def watch_pauses(observe: Callable[[int, float], None]) -> Callable[[], None]:
    """Call ``observe(generation, seconds)`` after each collection; returns what stops watching."""
    began: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[:] = [time.perf_counter()]
        elif began:
            observe(int(info.get("generation", 0)), time.perf_counter() - began[0])

    gc.callbacks.append(callback)
    return lambda: gc.callbacks.remove(callback)
