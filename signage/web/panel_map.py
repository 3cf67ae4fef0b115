"""Where the panels are, as points on a plain SVG map of the city: no map tiles, so the console needs no
third-party server and works on a closed control-centre network."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from signage.model import Panel

__all__ = ["MapPoint", "panel_points"]


@dataclass(frozen=True, slots=True)
class MapPoint:
    panel: Panel
    x: float
    y: float


def panel_points(panels: Iterable[Panel], width: int = 640, height: int = 400, margin: int = 28) -> list[MapPoint]:
    """Panels projected into a ``width`` × ``height`` box, north up, with east–west distances shrunk by the
    cosine of the latitude so that the city keeps its shape."""
    chosen = list(panels)
    if not chosen:
        return []
    shrink = math.cos(math.radians(sum(p.lat for p in chosen) / len(chosen)))
    xs = [p.lon * shrink for p in chosen]
    ys = [p.lat for p in chosen]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)
    scale = min(width - 2 * margin, height - 2 * margin) / span
    left = (width - (max(xs) - min(xs)) * scale) / 2
    top = (height - (max(ys) - min(ys)) * scale) / 2
    return [MapPoint(p, round(left + (x - min(xs)) * scale, 1), round(top + (max(ys) - y) * scale, 1))
            for p, x, y in zip(chosen, xs, ys, strict=True)]
