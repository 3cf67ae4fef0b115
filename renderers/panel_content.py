"""What one panel shows, as one JSON document from which every output format is derived."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from renderers.multi import pages_to_multi
from renderers.wrap import paginate
from signage.board import Decision
from signage.model import Message, Panel, Profile, ProfileKind
from signage.templates import RenderedText

__all__ = ["CONTENT_VERSION", "TextFor", "render_panel_content"]

CONTENT_VERSION = 1


TextFor = Callable[[Message, str], RenderedText]
# CAP severities in words, so that severity is never carried by colour alone.
SEVERITY_LABELS = {
    "fr": {"minor": "MINEUR", "moderate": "MODÉRÉ", "severe": "SÉVÈRE", "extreme": "EXTRÊME", "unknown": "ALERTE"},
    "en": {"minor": "MINOR", "moderate": "MODERATE", "severe": "SEVERE", "extreme": "EXTREME", "unknown": "ALERT"},
}


def render_panel_content(panel: Panel, profile: Profile, decision: Decision, text_for: TextFor) -> dict[str, Any]:
    """The content document for ``panel``: pages, MULTI for LED signs, and an ``etag`` over what is shown.

    ``text_for(message, language)`` gives a message's text (the pipeline passes its cached template renderer).
    """
    pages: list[dict[str, Any]] = []
    led_pages: list[list[str]] = []
    for message in decision.shown:
        text = text_for(message, panel.language)
        pages.append({
            "message": message.id,
            "lane": message.lane.name.lower(),
            "severity": message.severity,
            "severity_label": SEVERITY_LABELS.get(panel.language, SEVERITY_LABELS["fr"]).get(
                message.severity, message.severity.upper()) if message.severity else None,
            "title": text.title,
            "lines": list(text.lines),
            "language": text.language,
        })
        lines = list(text.lines) or [text.title]
        led_pages.extend(paginate(lines, profile.chars_per_line, profile.lines))
    led_pages = led_pages[: profile.max_pages]
    content: dict[str, Any] = {
        "v": CONTENT_VERSION,
        "panel": panel.id,
        "name": panel.name,
        "profile": profile.name,
        "kind": profile.kind.value,
        "language": panel.language,
        "lane": decision.lane.name.lower(),
        "reason": decision.reason,
        "page_time_s": profile.page_time_s,
        "pages": pages,
    }
    if profile.kind is not ProfileKind.KIOSK:
        content["multi"] = pages_to_multi(led_pages, profile)
    content["etag"] = _etag(content)
    return content


def _etag(content: dict[str, Any]) -> str:
    """A digest of everything shown; separators that cannot occur in text keep fields apart."""
    parts = [str(content[k]) for k in ("v", "panel", "name", "profile", "language", "lane", "reason", "page_time_s")]
    parts.append(content.get("multi", ""))
    for page in content["pages"]:
        parts += [page["message"], str(page["severity"]), page["title"], "\x1d".join(page["lines"]), page["language"]]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:20]
