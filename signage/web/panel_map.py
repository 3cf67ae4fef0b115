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
    label_dy: int = 4  # where the name goes, below the dot; lower when a neighbour's name would overlap it


LABEL_HEIGHT = 14
LABEL_WIDTH = 140


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
    dots = [(panel, round(left + (x - min(xs)) * scale, 1), round(top + (max(ys) - y) * scale, 1))
            for panel, x, y in sorted(zip(chosen, xs, ys, strict=True), key=lambda t: (-t[2], t[1]))]
    points: list[MapPoint] = []
    for panel, at_x, at_y in dots:
        dy = 4
        while any(0 <= x - at_x < LABEL_WIDTH and abs(y - (at_y + dy)) < LABEL_HEIGHT  # a dot in the way
                  for other, x, y in dots if other is not panel) or any(
                abs(p.x - at_x) < LABEL_WIDTH and abs(p.y + p.label_dy - (at_y + dy)) < LABEL_HEIGHT  # a name
                for p in points):
            dy += LABEL_HEIGHT
            if dy > 6 * LABEL_HEIGHT:
                break
        points.append(MapPoint(panel, at_x, at_y, dy))
    return points
