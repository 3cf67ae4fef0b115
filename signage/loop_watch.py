"""How late the event loop wakes a sleeper: the time something blocked the loop, which every WebSocket update,
poll and delivery of the process waited through. Operators see it as ``signage_loop_lag_seconds``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["watch_loop"]

PERIOD_S = 0.05


async def watch_loop(observe: Callable[[float], None], period_s: float = PERIOD_S) -> None:
    """Sleep ``period_s`` again and again, and ``observe`` how much later than asked each wake-up came."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(period_s)
        observe(max(0.0, time.perf_counter() - asked - period_s))
