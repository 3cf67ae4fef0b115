"""An Atom feed of CAP alerts (MeteoAlarm's country feeds, the NWS index): which CAP document each entry points
to. Pure.

A MeteoAlarm entry has several links: first the area's page on meteoalarm.org (no ``rel``, HTML), then the CAP
document (``type="application/cap+xml"``), then the country's page (``rel="related"``). Only the CAP document is
fetched; an entry without a CAP-typed link falls back to its ``alternate`` (or untyped) link, as the NWS index has.
"""

from __future__ import annotations

from dataclasses import dataclass

from signage.feeds.xmltree import children, local, parse_xml

__all__ = ["AtomEntry", "cap_entries"]


@dataclass(frozen=True, slots=True)
class AtomEntry:
    ident: str  # the entry's id and updated time: a new one when the entry changes
    cap_url: str


def cap_entries(body: bytes) -> list[AtomEntry]:
    """The entries of an Atom feed with the URL of each one's CAP document; raises ``FeedError`` for a body that
    is not XML (or is refused: DTDs, entities)."""
    root = parse_xml(body)
    found = []
    for entry in (e for e in root if local(e) == "entry"):
        ident = "".join(c.text or "" for c in children(entry, "id") + children(entry, "updated"))
        links = children(entry, "link")
        typed = [link.get("href") for link in links if "cap" in (link.get("type") or "").lower()]
        fallback = [link.get("href") for link in links if link.get("rel") in (None, "alternate")]
        href = next((h for h in [*typed, *fallback] if h), None)
        if href is not None:
            found.append(AtomEntry(ident, href))
    return found
