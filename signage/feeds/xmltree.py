"""Safe XML parsing for the feed adapters: entities, DTDs and external references refused; names without
their namespaces, since producers disagree on namespace versions far more than on element names."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from signage.feeds.base import FeedError

__all__ = ["children", "find", "local", "parse_xml", "text", "walk"]


def parse_xml(body: bytes) -> Element:
    try:
        root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        return root
    except DefusedXmlException as exc:
        raise FeedError(f"refused XML construct ({type(exc).__name__})", "xml", "forbidden_xml") from exc
    except ParseError as exc:
        raise FeedError(f"not well-formed XML ({exc})", "xml") from exc
    except (LookupError, ValueError, UnicodeError) as exc:  # e.g. an encoding declaration nobody knows
        raise FeedError(f"unreadable XML ({exc})", "xml") from exc


def local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local(child) == name]


def find(element: Element, *path: str) -> Element | None:
    current: Element | None = element
    for name in path:
        if current is None:
            return None
        current = next((child for child in current if local(child) == name), None)
    return current


def text(element: Element | None, *path: str) -> str | None:
    found = find(element, *path) if element is not None else None
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def walk(element: Element, name: str) -> Iterator[Element]:
    """Every descendant named ``name``, in document order."""
    for child in element.iter():
        if local(child) == name:
            yield child
