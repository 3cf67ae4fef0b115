"""DATEX II parking status publications: v2 (the German MDM profile and the EU parking extension) and v3.

v2: each ``parkingFacilityStatus`` or ``parkingAreaStatus`` becomes ``parking/<id>``: vacant spaces (``free``),
occupancy, capacity where given, and the status. The reference id keeps its text (``24278[Hauptwache]``),
shortened to a safe key id.

v3 (a ``d2:payload`` ``ParkingStatusPublication``, alone or in an exchange ``messageContainer``, as NDW publishes):
each ``parkingRecordStatus`` becomes ``parking/<record id>`` with the site's own counts (its groups of spaces are
left out), occupancy as a ratio (v3 gives a percentage) and the site status. A site whose status is ``unknown``
gives no counts, since producers fill them with zeros; a count below zero or a share outside 0–100 % is left out
and said in the delivery's ignored list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from signage.feeds.base import FeedError, FeedResult, finite_number, short_id
from signage.feeds.xmltree import children, find, local, parse_xml, text, walk
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
    observed_at = _instant(text(element, f"{kind}StatusTime"), received_at)
    name = ident.split("[", 1)[1].rstrip("]") if "[" in ident else ident  # "24276[Turmcenter]" → Turmcenter
    value: dict[str, Any] = {"name": name, "reference": ident, "free": int(vacant) if vacant is not None else None,
                             "occupancy": occupancy, "capacity": int(capacity) if capacity is not None else None,
                             "status": statuses[0] if statuses else None}
    return f"parking/{short_id(ident.split('[')[0])}", value, observed_at


def _instant(when: str | None, received_at: datetime) -> datetime:
    try:
        return parse_instant(when) if when else received_at
    except ValueError:
        return received_at


def _site_status(element: Element, received_at: datetime,
                 ignored: list[str]) -> tuple[str, dict[str, Any], datetime] | None:
    """A v3 ``parkingRecordStatus``."""
    reference = find(element, "parkingRecordReference")
    ident = reference.get("id") if reference is not None else None
    if not ident:
        return None
    where = f"parkingRecordStatus[{ident}]"
    status = text(element, "parkingSiteStatus")
    value: dict[str, Any] = {"name": ident, "reference": ident, "status": status}
    if status != "unknown":
        for field, name in (("free", "parkingNumberOfVacantSpaces"), ("occupied", "parkingNumberOfOccupiedSpaces"),
                            ("occupancy", "parkingOccupancy")):
            number = finite_number(text(element, "parkingOccupancy", name), where)
            percent = field == "occupancy"
            if number is None:
                continue
            if number < 0 or (percent and number > 100):
                ignored.append(f"{where}: {name} {number:g} is not possible; left out")
                continue
            value[field] = number / 100 if percent else int(number)
    return (f"parking/{short_id(ident)}", value,
            _instant(text(element, "parkingStatusOriginTime"), received_at))


def _observe(result: FeedResult, feed: FeedConfig, status: tuple[str, dict[str, Any], datetime] | None,
             element: str) -> None:
    if status is None:
        result.ignored.append(f"a {element} without a reference id")
        return
    key, value, observed_at = status
    result.observations.append(Observation(key, {k: v for k, v in value.items() if v is not None}, observed_at,
                                           feed.id))


def _decode_v3(feed: FeedConfig, payloads: list[Element], received_at: datetime) -> FeedResult:
    result = FeedResult()
    for payload in payloads:
        for element in walk(payload, "parkingRecordStatus"):
            _observe(result, feed, _site_status(element, received_at, result.ignored), "parkingRecordStatus")
    if not result.observations:
        raise FeedError("the publication holds no parking record status", "payload")
    return result


def decode_datex2(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    root = parse_xml(body)
    if local(root) == "payload":
        return _decode_v3(feed, [root], received_at)
    if local(root) == "messageContainer":
        return _decode_v3(feed, children(root, "payload"), received_at)
    if local(root) != "d2LogicalModel":
        raise FeedError(f"expected a DATEX II <d2LogicalModel> (v2) or <payload> (v3), found <{local(root)}>", "xml")
    publication = find(root, "payloadPublication")
    if publication is None:
        raise FeedError("no payloadPublication", "d2LogicalModel.payloadPublication")
    result = FeedResult()
    for kind in ("parkingFacility", "parkingArea"):
        for element in walk(publication, f"{kind}Status"):
            _observe(result, feed, _status(element, kind, received_at), f"{kind}Status")
    if not result.observations:
        raise FeedError("the publication holds no parking facility or area status", "payloadPublication")
    return result
