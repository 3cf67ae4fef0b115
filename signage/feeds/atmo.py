"""The French indice ATMO (arrêté du 10 juillet 2020) as the AASQA publish it: ArcGIS features
(``features[].attributes``, dates in epoch milliseconds) or GeoJSON (``features[].properties``, ISO dates).

Each record becomes ``air/<zone>``: ``index`` (``code_qual`` 0–7), ``label``, ``colour`` (the producer's
``coul_qual`` when given, else the national table), the sub-indices, and the day it is valid for. The feed's
``zones`` option maps a ``code_zone`` (INSEE commune or EPCI SIREN) to the key's id; without it the code is
the id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from signage.feeds.base import FeedError, FeedResult, json_body
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["ATMO_LEVELS", "decode_atmo"]

# code_qual → (label, colour) from the national notice; 0 and 7 are "unavailable" and "event".
ATMO_LEVELS = {
    0: ("Indisponible", "#DDDDDD"), 1: ("Bon", "#50F0E6"), 2: ("Moyen", "#50CCAA"), 3: ("Dégradé", "#F0E641"),
    4: ("Mauvais", "#FF5050"), 5: ("Très mauvais", "#960032"), 6: ("Extrêmement mauvais", "#872181"),
    7: ("Événement", "#888888"),
}


def _date(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str) and value:
        try:
            return parse_instant(value, assume_utc=True)
        except ValueError:
            return None
    return None


def decode_atmo(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    document = json_body(body)
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise FeedError("expected an ArcGIS or GeoJSON document with features[]", "features")
    zones: dict[str, str] = {str(k): str(v) for k, v in (feed.options.get("zones") or {}).items()}
    result = FeedResult()
    for index, feature in enumerate(features):
        where = f"features[{index}]"
        record = feature.get("attributes") or feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(record, dict):
            raise FeedError("has neither attributes nor properties", where)
        code = record.get("code_qual")
        if isinstance(code, bool) or not isinstance(code, int) or code not in ATMO_LEVELS:
            raise FeedError(f"code_qual must be a whole number from 0 to 7, not {code!r}", f"{where}.code_qual")
        zone = record.get("code_zone")
        if zone is None:
            raise FeedError("is required", f"{where}.code_zone")
        zone_code = str(zone).zfill(5) if str(zone).isdigit() and len(str(zone)) < 5 else str(zone)
        if zones and zone_code not in zones:
            result.ignored.append(f"{where}: zone {zone_code} is not one of the feed's zones")
            continue
        label, colour = ATMO_LEVELS[code]
        valid_for = _date(record.get("date_ech"))
        value = {
            "index": code,
            "label": record.get("lib_qual") or label,
            "colour": record.get("coul_qual") or colour,
            "zone": zone_code,
            "zone_name": record.get("lib_zone"),
            "valid_for": valid_for.date().isoformat() if valid_for else None,
            **{f"index_{p}": record.get(f"code_{p}") for p in ("no2", "so2", "o3", "pm10", "pm25")},
            "source": record.get("source") or record.get("aasqa"),
        }
        observed_at = _date(record.get("date_dif")) or received_at
        result.observations.append(Observation(f"air/{zones.get(zone_code, zone_code)}", value, observed_at,
                                               feed.id))
    return result
