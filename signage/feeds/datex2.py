"""DATEX II parking status publications (v2, the German MDM profile and the EU parking extension).

Each ``parkingFacilityStatus`` or ``parkingAreaStatus`` becomes ``parking/<id>``: vacant spaces (``free``),
occupancy, capacity where given, and the status. The reference id keeps its text (``24278[Hauptwache]``),
shortened to a safe key id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from signage.feeds.base import FeedError, FeedResult, finite_number, short_id
from signage.feeds.xmltree import find, local, parse_xml, text, walk
from signage.model import FeedConfig, Observation
from signage.timeutil import parse_instant

__all__ = ["decode_datex2"]


def _status(element: Element, kind: str, received_at: datetime) -> tuple[str, dict[str, Any], datetime] | None:
    reference = find(element, f"{kind}Reference")
    ident = reference.get("id") if reference is not None else None
    if not ident:
        return None
    where = f"{kind}[{ident}]"
    vacant = finite_number(text(element, f"{kind}TotalNumberOfVacantParkingSpaces")
                           or text(element, "totalNumberOfVacantParkingSpaces"), where)
    occupied = finite_number(text(element, f"{kind}TotalNumberOfOccupiedParkingSpaces"), where)
    occupancy = finite_number(text(element, f"{kind}Occupancy"), where)
    capacity = finite_number(text(element, "totalParkingCapacityShortTermOverride")
                             or text(element, "totalParkingCapacityOverride"), where)
    if capacity is None and vacant is not None and occupied is not None:
        capacity = vacant + occupied
    statuses = [s.text.strip() for s in element if local(s) == f"{kind}Status" and s.text]
    when = text(element, f"{kind}StatusTime")
    try:
        observed_at = parse_instant(when) if when else received_at
    except ValueError:
        observed_at = received_at
    name = ident.split("[", 1)[1].rstrip("]") if "[" in ident else ident  # "24276[Turmcenter]" → Turmcenter
    value: dict[str, Any] = {"name": name, "reference": ident, "free": int(vacant) if vacant is not None else None,
                             "occupancy": occupancy, "capacity": int(capacity) if capacity is not None else None,
                             "status": statuses[0] if statuses else None}
    return f"parking/{short_id(ident.split('[')[0])}", value, observed_at


def decode_datex2(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    root = parse_xml(body)
    if local(root) != "d2LogicalModel":
        raise FeedError(f"expected a DATEX II <d2LogicalModel>, found <{local(root)}>", "xml")
    publication = find(root, "payloadPublication")
    if publication is None:
        raise FeedError("no payloadPublication", "d2LogicalModel.payloadPublication")
    result = FeedResult()
    for kind in ("parkingFacility", "parkingArea"):
        for element in walk(publication, f"{kind}Status"):
            status = _status(element, kind, received_at)
            if status is None:
                result.ignored.append(f"a {kind}Status without a reference id")
                continue
            key, value, observed_at = status
            result.observations.append(Observation(key, {k: v for k, v in value.items() if v is not None},
                                                   observed_at, feed.id))
    if not result.observations:
        raise FeedError("the publication holds no parking facility or area status", "payloadPublication")
    return result
