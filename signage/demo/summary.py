"""The demo's line each minute: what the city did since the last one, so that a person watching the terminal
sees it live without opening a page."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from signage.metrics import Metrics

__all__ = ["Counts", "counts", "every_minute", "summary_line"]

Counts = tuple[float, float, float]  # deliveries accepted, panel changes, pushes sent


def _total(metric: object, **labels: str) -> float:
    total = 0.0
    for family in metric.collect():  # type: ignore[attr-defined]
        for sample in family.samples:
            if sample.name.endswith("_total") and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def counts(metrics: Metrics) -> Counts:
    return (_total(metrics.feed_deliveries, result="accepted"), _total(metrics.panel_changes),
            _total(metrics.push_messages, outcome="sent"))


def summary_line(at: datetime, before: Counts, now: Counts) -> str:
    deliveries, changes, pushes = (round(b - a) for a, b in zip(before, now, strict=True))
    return (f"{at:%H:%M} last minute: {deliveries} feed deliveries accepted, {changes} panel changes, "
            f"{pushes} pushes sent")


async def every_minute(metrics: Metrics, say: Callable[[str], None], clock: Callable[[], datetime],
                       period_s: float = 60.0) -> None:
    before = counts(metrics)
    while True:
        await asyncio.sleep(period_s)
        now = counts(metrics)
        say(summary_line(clock(), before, now))
        before = now
