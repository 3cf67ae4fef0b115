"""The demo's line each minute counts what the city did since the previous line, from the engine's metrics."""

from __future__ import annotations

import asyncio
from datetime import datetime

from signage.demo.summary import counts, every_minute, summary_line
from signage.metrics import Metrics


async def test_each_minute_says_what_happened_since_the_last_line() -> None:
    metrics = Metrics()
    lines: list[str] = []
    task = asyncio.create_task(every_minute(metrics, lines.append, lambda: datetime(2026, 11, 26, 9, 41),
                                            period_s=0.05))
    await asyncio.sleep(0.01)
    metrics.feed_deliveries.labels(feed="ngsi", result="accepted").inc(12)
    metrics.feed_deliveries.labels(feed="ngsi", result="rejected").inc(3)  # refused: not counted as accepted
    metrics.panel_changes.inc(4)
    metrics.push_messages.labels(outcome="sent").inc(2)
    metrics.push_messages.labels(outcome="quiet").inc(5)
    while len(lines) < 2:
        await asyncio.sleep(0.01)
    task.cancel()
    assert lines[0] == "09:41 last minute: 12 feed deliveries accepted, 4 panel changes, 2 pushes sent"
    assert lines[1] == "09:41 last minute: 0 feed deliveries accepted, 0 panel changes, 0 pushes sent"
    assert counts(metrics) == (12.0, 4.0, 2.0)
    assert summary_line(datetime(2026, 1, 1, 0, 5), (1, 1, 1), (2, 2, 2)).startswith("00:05 last minute: 1 feed")
