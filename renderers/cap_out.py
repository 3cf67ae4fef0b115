"""CAP 1.2 documents for other alerting systems, and the Atom feed that lists them (RFC 4287).

Built with ElementTree, which escapes text; elements follow the order the CAP 1.2 schema requires. CAP times have
a numeric offset and no fractions (``2026-11-25T06:30:00+01:00``): ``Z`` is not allowed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from signage.model import Alert, Zone
from signage.templates import RenderedText

__all__ = ["AtomEntry", "cap_identifier", "render_atom", "render_cap", "text_alert"]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


def cap_time(instant: datetime, timezone: str) -> str:
    return instant.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def cap_identifier(sender: str, alert_id: str) -> str:
    """Unique for the sender; CAP forbids spaces, commas, ``<`` and ``&`` in identifiers."""
    return re.sub(r"[\s,<&]", "-", f"{sender.split('@')[-1]}.{alert_id}")


def _chosen(value: str, allowed: Sequence[str]) -> str:
    return next((a for a in allowed if a.lower() == value.lower()), "Unknown")


def text_alert(text: RenderedText, identifier: str, source: str, sent: datetime, zones: tuple[str, ...],
               expires: datetime | None, severity: str, urgency: str = "immediate", event: str = "") -> Alert:
    """An alert saying what a template's CAP variant says (headline, description, instruction) in its language."""
    headline, description, instruction = text.cap_text()
    return Alert(identifier, source, sent, "alert", severity, urgency, event or headline, {text.language: headline},
                 {text.language: description}, zones, expires,
                 instruction={text.language: instruction} if instruction else {})


def render_cap(alert: Alert, *, sender: str, sender_name: str, zones: Sequence[Zone], sent: datetime,
               timezone: str = "UTC", web: str | None = None, languages: Sequence[str] = ()) -> bytes:
    """``alert`` as a CAP 1.2 ``Alert`` message, one ``info`` per language it is written in: of ``languages``
    (the city's, in its order) when given, else every one."""
    ET.register_namespace("", CAP_NS)

    def sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{CAP_NS}}}alert")
    sub(root, "identifier", cap_identifier(sender, alert.id))
    sub(root, "sender", sender)
    sub(root, "sent", cap_time(sent, timezone))
    sub(root, "status", "Actual")
    sub(root, "msgType", "Alert")
    origin = alert.origin
    if origin.get("sender"):  # republished: the source says who wrote it, the city only passes it on
        sub(root, "source", origin["sender"])
    sub(root, "scope", "Public")
    if origin.get("sender") and origin.get("identifier"):
        sub(root, "note", f"Republished by {sender_name} ({sender}) from {origin['sender']}, identifier "
                          f"{origin['identifier']}")
        if origin.get("sent"):
            sub(root, "references", f"{origin['sender']},{origin['identifier']},{origin['sent']}")
    written = [lang for lang, headline in alert.headline.items() if headline]
    chosen = [lang for lang in languages if lang in written] if languages else written
    for language in chosen or [next(iter(languages), "en")]:
        info = sub(root, "info")
        sub(info, "language", LANGUAGES.get(language, language))
        sub(info, "category", "Met" if "meteo" in (alert.source + origin.get("sender", "")).lower()
            or "awareness_level" in origin else "Safety")
        sub(info, "event", alert.events.get(language) or alert.event or alert.headline.get(language) or "Alert")
        sub(info, "urgency", _chosen(alert.urgency, URGENCIES))
        sub(info, "severity", _chosen(alert.severity, SEVERITIES))
        sub(info, "certainty", _chosen(alert.certainty, CERTAINTIES))
        sub(info, "effective", cap_time(alert.sent, timezone))
        if alert.expires is not None:
            sub(info, "expires", cap_time(alert.expires, timezone))
        sub(info, "senderName", sender_name)
        sub(info, "headline", alert.headline.get(language, ""))
        if alert.description.get(language):
            sub(info, "description", alert.description[language])
        if alert.instruction.get(language):
            sub(info, "instruction", alert.instruction[language])
        if web:
            sub(info, "web", web)
        for name in ("awareness_level", "awareness_type"):  # MeteoAlarm's, passed on as received
            if origin.get(name):
                parameter = sub(info, "parameter")
                sub(parameter, "valueName", name)
                sub(parameter, "value", origin[name])
        area = sub(info, "area")
        sub(area, "areaDesc", ", ".join(zone.name for zone in zones) or sender_name)
        for zone in zones:
            for code in zone.codes:
                name, _, value = code.partition(":")
                if value:
                    geocode = sub(area, "geocode")
                    sub(geocode, "valueName", name)
                    sub(geocode, "value", value)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


@dataclass(frozen=True, slots=True)
class AtomEntry:
    id: str
    title: str
    summary: str
    updated: datetime
    link: str  # the CAP document
    language: str


def render_atom(entries: Sequence[AtomEntry], *, feed_id: str, title: str, self_link: str, author: str,
                updated: datetime, timezone: str = "UTC") -> bytes:
    """An Atom feed whose entries link to their CAP documents (``application/cap+xml``)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", cap_time(updated, timezone))
    sub(feed, "link", rel="self", href=self_link, type="application/atom+xml")
    sub(sub(feed, "author"), "name", author)
    for entry in entries:
        item = sub(feed, "entry")
        sub(item, "id", entry.id)
        sub(item, "title", entry.title)
        sub(item, "updated", cap_time(entry.updated, timezone))
        sub(item, "summary", entry.summary)
        sub(item, "link", rel="alternate", href=entry.link, type="application/cap+xml", hreflang=entry.language)
    ET.indent(feed)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
