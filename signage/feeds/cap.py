"""CAP 1.2 alerts (OASIS), parsed with entities and DTDs refused.

The ``<info>`` block is chosen by language (the city's, in its order, then English, then the first); headlines
and descriptions are kept in every language the alert carries. Areas are taken as geocodes (``NUTS3:FR261``) that the
configuration's zone table resolves. A feed that lists ``senders`` refuses every other ``<sender>``.

Severity follows MeteoAlarm's awareness level when the alert gives one (``awareness_level = "3; orange;
Severe"``: yellow is Moderate, orange Severe, red Extreme), since that is what the source's colour means; else the
``<severity>``. The certainty, and the source's sender, identifier and sent time, are kept, so that what the city
republishes says what it received and from whom. An all-clear (responseType AllClear, or urgency Past) is marked
as such: it ends what it references and shows nothing, even when it gives no expiry.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element

from signage.feeds.base import FeedError, FeedResult
from signage.feeds.xmltree import parse_xml
from signage.model import Alert, FeedConfig
from signage.timeutil import parse_instant

__all__ = ["decode_cap"]

NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
_MSG_TYPES = {"Alert": "alert", "Update": "update", "Cancel": "cancel"}


def _text(element: Element, name: str) -> str | None:
    child = element.find(NS + name)
    return child.text.strip() if child is not None and child.text else None


def _required(element: Element, name: str) -> str:
    value = _text(element, name)
    if not value:
        raise FeedError("is required", f"alert.{name}")
    return value


def _instant(text: str, where: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise FeedError(f"is not a CAP date-time with an offset ({text!r})", where) from exc


# MeteoAlarm awareness levels (EMMA): the colour decides the severity a reader expects.
AWARENESS_SEVERITY = {"green": "minor", "yellow": "moderate", "orange": "severe", "red": "extreme"}


def _parameters(info: Element) -> dict[str, str]:
    found = {}
    for parameter in info.findall(NS + "parameter"):
        name, value = _text(parameter, "valueName"), _text(parameter, "value")
        if name and value:
            found[name] = value
    return found


def _severity(info: Element, parameters: dict[str, str]) -> str:
    level = parameters.get("awareness_level", "")
    colours = [part.strip().lower() for part in level.split(";")]
    for colour in colours:
        if colour in AWARENESS_SEVERITY:
            return AWARENESS_SEVERITY[colour]
    return (_text(info, "severity") or "Unknown").lower()


def _all_clear(info: Element) -> bool:
    """CAP's own ways of saying an event is over: responseType AllClear, or urgency Past (no action required)."""
    responses = {(element.text or "").strip() for element in info.findall(NS + "responseType")}
    return "AllClear" in responses or _text(info, "urgency") == "Past"


def _language(info: Element) -> str:
    return (_text(info, "language") or "en-US").split("-")[0].lower()


def decode_cap(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    root = parse_xml(body)
    if root.tag != NS + "alert":
        raise FeedError(f"expected a CAP 1.2 <alert>, found <{root.tag}>", "xml")
    identifier = _required(root, "identifier")
    sender = _required(root, "sender")
    senders = feed.options.get("senders")
    if isinstance(senders, list) and sender not in senders:
        # Anyone can write a CAP document: only the senders the city trusts reach its panels and phones.
        raise FeedError(f"sender {sender[:100]!r} is not one this feed accepts", "alert.sender", "sender_not_allowed")
    sent = _instant(_required(root, "sent"), "alert.sent")
    status = _required(root, "status")
    msg_type_text = _required(root, "msgType")
    if msg_type_text not in _MSG_TYPES and msg_type_text not in ("Ack", "Error"):
        raise FeedError(f"unknown msgType {msg_type_text!r}", "alert.msgType")
    result = FeedResult()
    if status != "Actual" or msg_type_text in ("Ack", "Error"):
        result.ignored.append(f"alert {identifier!r}: status {status}, msgType {msg_type_text} is not shown")
        return result
    references = tuple(ref.split(",")[1] for ref in (_text(root, "references") or "").split() if ref.count(",") == 2)
    infos = root.findall(NS + "info")
    if not infos and msg_type_text != "Cancel":
        raise FeedError("an alert needs at least one <info>", "alert.info")
    by_language = {_language(info): info for info in reversed(infos)}
    preferred = (*(language.split("-")[0].lower() for language in feed.languages), "en")
    chosen = next((by_language[lang] for lang in preferred if lang in by_language),
                  infos[0] if infos else None)
    zones: list[str] = []
    expires = None
    if chosen is not None:
        for area in chosen.findall(NS + "area"):
            for geocode in area.findall(NS + "geocode"):
                name, value = _text(geocode, "valueName"), _text(geocode, "value")
                if name and value:
                    zones.append(f"{name}:{value}")
        if (expires_text := _text(chosen, "expires")) is not None:
            expires = _instant(expires_text, "info.expires")
    parameters = _parameters(chosen) if chosen is not None else {}
    origin = {"sender": sender, "identifier": identifier, "sent": _required(root, "sent"),
              **{k: v for k, v in parameters.items() if k in ("awareness_level", "awareness_type")}}
    result.alerts.append(Alert(
        id=identifier,
        source=feed.id,
        sent=sent,
        msg_type=_MSG_TYPES[msg_type_text],
        severity=_severity(chosen, parameters) if chosen is not None else "unknown",
        urgency=(_text(chosen, "urgency") or "Unknown").lower() if chosen is not None else "unknown",
        event=(_text(chosen, "event") or "") if chosen is not None else "",
        headline={lang: _text(info, "headline") or _text(info, "event") or "" for lang, info in by_language.items()},
        description={lang: " ".join((_text(info, "description") or "").split())
                     for lang, info in by_language.items()},
        zones=tuple(dict.fromkeys(zones)),
        expires=expires,
        references=references,
        events={lang: _text(info, "event") or "" for lang, info in by_language.items()},
        instruction={lang: " ".join(text.split()) for lang, info in by_language.items()
                     if (text := _text(info, "instruction"))},
        certainty=(_text(chosen, "certainty") or "Unknown").lower() if chosen is not None else "unknown",
        origin=origin,
        all_clear=chosen is not None and _all_clear(chosen),
    ))
    return result
