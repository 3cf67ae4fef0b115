"""The console's map of panels: what its page gives Leaflet (each panel's place, name and state) and the base
map staff configured. Without tiles no third party is asked for anything, and the panels stand at their
coordinates on a plain background, which works on a closed control-centre network."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from signage.model import Panel
from signage.settings import Settings

__all__ = ["map_attributes"]


def map_attributes(panels: Iterable[Panel], settings: Settings,
                   statuses: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """The map element's ``data-`` attributes: the panels as JSON, and the tile URL and attribution (empty
    without a base map)."""
    points = [{"id": p.id, "name": p.name, "lat": p.lat, "lon": p.lon,
               **({"online": bool(statuses[p.id].get("online"))} if statuses and p.id in statuses else {})}
              for p in panels]
    return {"panels": json.dumps(points, ensure_ascii=False), "tiles": settings.map_tiles or "",
            "attribution": settings.map_attribution}
