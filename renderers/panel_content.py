"""What one panel shows, as one JSON document from which every output format is derived."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from renderers.cache import RenderCache
from renderers.multi import DoesNotFit, LedText, compose_multi, fit_pages
from signage.board import Decision
from signage.model import Message, Panel, Profile, ProfileKind
from signage.templates import RenderedText

__all__ = [
    "CHANNEL_OF_KIND",
    "CONTENT_VERSION",
    "SEVERITY_LABELS",
    "LedResult",
    "Refusal",
    "TextFor",
    "led_multi",
    "led_text",
    "render_panel_content",
    "severity_label",
]

CONTENT_VERSION = 1


TextFor = Callable[[Message, str], RenderedText]
# The template variant each kind of panel shows.
CHANNEL_OF_KIND = {ProfileKind.CHARACTER: "led", ProfileKind.LINE: "led", ProfileKind.FULL: "pixel",
                   ProfileKind.KIOSK: "kiosk"}
# CAP severities in words, so that severity is never carried by colour alone.
SEVERITY_LABELS = {
    "fr": {"minor": "MINEUR", "moderate": "MODÉRÉ", "severe": "SÉVÈRE", "extreme": "EXTRÊME", "unknown": "ALERTE"},
    "en": {"minor": "MINOR", "moderate": "MODERATE", "severe": "SEVERE", "extreme": "EXTREME", "unknown": "ALERT"},
}


def severity_label(language: str, severity: str) -> str:
    """The word a panel shows above an alert, in its language when known (else English)."""
    labels = SEVERITY_LABELS.get(language) or SEVERITY_LABELS.get(language.split("-")[0], SEVERITY_LABELS["en"])
    return labels.get(severity, severity.upper())


def led_text(text: RenderedText, kind: ProfileKind) -> LedText:
    """What a message says on a sign of ``kind``: its channel's lines (its title when it has none), its
    pictogram, and its MULTI pattern on text signs."""
    channel = CHANNEL_OF_KIND[kind]
    shown = text.on(channel)
    return LedText(tuple(shown.lines) or (shown.title,), text.pictogram, text.multi if channel == "led" else "")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A message a sign's face cannot hold: why in words, and as a code with its details (``DoesNotFit``)."""

    message_id: str
    reason: str
    code: str
    details: tuple[tuple[str, str | int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message_id, "reason": self.reason, "code": self.code, **dict(self.details)}


# MULTI, the problems met making it, and the messages left out.
LedResult = tuple[str, tuple[str, ...], tuple[Refusal, ...]]
_LED_CACHE: RenderCache[LedResult] = RenderCache()


def led_multi(profile: Profile, texts: tuple[tuple[str, LedText], ...],
              cache: RenderCache[LedResult] | None = None) -> LedResult:
    """MULTI for messages ``(id, text)`` on a sign, in order, the problems met, and the messages left out.

    A message too long for the sign is shown by its title alone; one that does not fit even so, or that would
    take the sign past its pages, is left out and reported (the winner comes first, so it is never the one left
    out). Cached by profile and text, so a thousand panels of one profile cost one render.
    """
    store = cache if cache is not None else _LED_CACHE
    return store.get_or_render((profile, texts), lambda: _led_multi(profile, texts))


def _led_multi(profile: Profile, texts: tuple[tuple[str, LedText], ...]) -> LedResult:
    accepted: list[LedText] = []
    problems: list[str] = []
    refused: list[Refusal] = []
    pages = 0
    for message_id, text in texts:
        candidates = [text]
        if text.pattern:
            candidates.append(text.plain())
        if len(text.lines) > 1:
            candidates.append(LedText(text.lines[:1], text.pictogram))
        reasons: list[str] = []
        last = DoesNotFit("")
        for candidate in candidates:
            try:
                needed = fit_pages(candidate, profile)
            except DoesNotFit as exc:
                reasons.append(str(exc))
                last = exc
                continue
            if pages + needed > profile.max_pages:
                reasons.append(f"{profile.name} shows at most {profile.max_pages} pages")
                last = DoesNotFit(reasons[-1], "too_many_pages", needed=pages + needed, most=profile.max_pages)
                continue
            if candidate is not text and candidate.lines == text.lines:
                problems.append(f"{message_id}: its MULTI pattern is refused by {profile.name} ({reasons[0]}); "
                                "shown from its lines")
            elif candidate is not text:
                problems.append(f"{message_id}: shortened to its first line on {profile.name} ({reasons[0]})")
            accepted.append(candidate)
            pages += needed
            break
        else:
            problems.append(f"{message_id}: not shown on {profile.name}: {reasons[-1]}")
            refused.append(Refusal(message_id, reasons[-1], last.code, tuple(last.details.items())))
    try:
        return compose_multi(accepted, profile), tuple(problems), tuple(refused)
    except DoesNotFit as exc:
        everything = tuple(Refusal(message_id, str(exc), exc.code, tuple(exc.details.items()))
                           for message_id, _ in texts)
        return "", (*problems, f"nothing could be shown on {profile.name}: {exc}"), everything


def render_panel_content(panel: Panel, profile: Profile, decision: Decision, text_for: TextFor,
                         cache: RenderCache[LedResult] | None = None) -> dict[str, Any]:
    """The content document for ``panel``: pages, MULTI for LED signs, and an ``etag`` over what is shown.
    On an LED sign, ``refused`` lists the messages its face cannot hold (id and why), and ``pages`` leaves them out.

    ``text_for(message, language)`` gives a message's text (the pipeline passes its cached template renderer).
    """
    pages: list[dict[str, Any]] = []
    led_texts: list[tuple[str, LedText]] = []
    channel = CHANNEL_OF_KIND[profile.kind]
    for message in decision.shown:
        rendered = text_for(message, panel.language)
        text = rendered.on(channel)
        pages.append({
            "message": message.id,
            "lane": message.lane.name.lower(),
            "severity": message.severity,
            "severity_label": severity_label(panel.language, message.severity) if message.severity else None,
            "title": text.title,
            "lines": list(text.lines),
            "language": rendered.language,
            "pictogram": rendered.pictogram or None,
        })
        led_texts.append((message.id, led_text(rendered, profile.kind)))
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
        content["multi"], problems, refused = led_multi(profile, tuple(led_texts), cache)
        if problems:
            content["problems"] = list(problems)
        if refused:
            content["refused"] = [refusal.to_json() for refusal in refused]
            left_out = {refusal.message_id for refusal in refused}
            content["pages"] = [page for page in pages if page["message"] not in left_out]
    content["etag"] = _etag(content)
    return content


def _etag(content: dict[str, Any]) -> str:
    """A digest of everything shown; separators that cannot occur in text keep fields apart."""
    parts = [str(content[k]) for k in ("v", "panel", "name", "profile", "language", "lane", "reason", "page_time_s")]
    parts.append(content.get("multi", ""))
    for page in content["pages"]:
        parts += [page["message"], str(page["severity"]), page["title"], "\x1d".join(page["lines"]), page["language"]]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:20]
