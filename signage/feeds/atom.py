"""An Atom feed of CAP alerts (MeteoAlarm's country feeds, the NWS index): which CAP document each entry points
to. Pure.

A MeteoAlarm entry has several links: first the area's page on meteoalarm.org (no ``rel``, HTML), then the CAP
document (``type="application/cap+xml"``), then the country's page (``rel="related"``). Only the CAP document is
fetched; an entry without a CAP-typed link falls back to its ``alternate`` (or untyped) link, as the NWS index has.
A country feed has an entry per area a warning covers, all pointing to the same CAP document: it is named once.
"""

from __future__ import annotations

from dataclasses import dataclass

from signage.feeds.xmltree import children, local, parse_xml

__all__ = ["AtomEntry", "cap_entries"]


@dataclass(frozen=True, slots=True)
class AtomEntry:
    ident: str  # the document's URL and its entries' latest update: a new one when the document changes
    cap_url: str


def cap_entries(body: bytes) -> list[AtomEntry]:
    """The CAP documents an Atom feed names, each once and in the feed's order; raises ``FeedError`` for a body
    that is not XML (or is refused: DTDs, entities)."""
    root = parse_xml(body)
    updated: dict[str, str] = {}  # CAP document -> the latest <updated> of the entries that name it
    for entry in (e for e in root if local(e) == "entry"):
        links = children(entry, "link")
        typed = [link.get("href") for link in links if "cap" in (link.get("type") or "").lower()]
        fallback = [link.get("href") for link in links if link.get("rel") in (None, "alternate")]
        href = next((h for h in [*typed, *fallback] if h), None)
        if href is not None:
            stamp = "".join(c.text or "" for c in children(entry, "updated"))
            updated[href] = max(updated.get(href, ""), stamp)
    return [AtomEntry(f"{href} {stamp}", href) for href, stamp in updated.items()]
