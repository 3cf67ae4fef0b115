"""Previews of a template being edited, channel by channel: every LED sign (MULTI and a PNG, from its MULTI
pattern or its LED lines; pixel panels from their pixel lines), the kiosk, the phone notification and the CAP
document, with a warning for each sign the text does not fit. The template runs in the same sandbox as published
ones: it cannot reach Python objects or files, and an attempt is a clear error, never executed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from renderers.cap_out import render_cap
from renderers.multi import DoesNotFit, LedText, compose_multi
from renderers.panel_content import CHANNEL_OF_KIND
from renderers.preview import panel_preview_png
from renderers.push import push_payload
from signage.config import Config
from signage.model import Alert, ProfileKind
from signage.templates import RenderedText, TemplateLibrary, TemplateProblem, TemplateSpec

__all__ = ["PreviewProblem", "render_preview"]


class PreviewProblem(ValueError):
    """The template cannot be rendered; the message says where."""


def render_preview(config: Config, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("template"), dict):
        raise PreviewProblem("template: give {language: {title, lines, channel variants}} and optionally pictogram")
    variants = {lang: v for lang, v in body["template"].items() if isinstance(v, dict) and len(lang) == 2}
    if not variants:
        raise PreviewProblem("template: at least one language variant (fr, en)")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise PreviewProblem("params must be an object")
    language = str(body.get("language", config.languages[0]))
    try:
        library = TemplateLibrary({"preview": TemplateSpec("preview", variants, "",
                                                           str(body["template"].get("pictogram", "")))})
        text = library.render("preview", params, language)
    except TemplateProblem as exc:
        raise PreviewProblem(str(exc)) from exc
    title, push_body = text.push_text()
    push = push_payload(title=title, body=push_body, url="/", tag="preview", language=text.language)
    kiosk = text.on("kiosk")
    return {"language": text.language, "title": text.title, "lines": list(text.lines), "signs": _signs(config, text),
            "kiosk": {"title": kiosk.title, "lines": list(kiosk.lines)},
            "push": push.decode(), "phone": {"title": title, "body": push_body, "city": config.city},
            "cap": _cap(config, text)}


def _signs(config: Config, text: RenderedText) -> dict[str, Any]:
    """Each sign profile: the PNG it would light, or why the text does not fit it."""
    signs: dict[str, Any] = {}
    for profile in config.profiles.values():
        if profile.kind is ProfileKind.KIOSK:
            continue
        channel = CHANNEL_OF_KIND[profile.kind]
        shown = text.on(channel)
        led = LedText(shown.lines or (shown.title,), text.pictogram, text.multi if channel == "led" else "")
        sign: dict[str, Any] = {"channel": "multi" if led.pattern else channel}
        try:
            multi = compose_multi([led], profile)
        except DoesNotFit as exc:
            if not led.pattern:
                signs[profile.name] = {**sign, "fits": False, "warning": str(exc)}
                continue
            try:  # as on the street: a pattern the sign refuses gives way to the lines, and staff are told
                multi = compose_multi([led.plain()], profile)
            except DoesNotFit as plain_exc:
                signs[profile.name] = {**sign, "fits": False, "warning": f"{exc}; from its lines: {plain_exc}"}
                continue
            sign = {"channel": channel, "warning": f"MULTI pattern refused ({exc}); shown from its lines"}
        png = panel_preview_png({"multi": multi, "pages": []}, profile)
        signs[profile.name] = {**sign, "fits": True, "multi": multi,
                               "png": "data:image/png;base64," + base64.b64encode(png).decode()}
    return signs


def _cap(config: Config, text: RenderedText) -> str:
    """The CAP 1.2 document an emergency with this text would publish (for the city's first zone)."""
    zone = next(iter(config.zones.values()), None)
    if zone is None:
        return ""
    headline, description, instruction = text.cap_text()
    now = datetime.now(UTC).replace(microsecond=0)
    alert = Alert("preview", "console", now, "alert", "severe", "immediate", headline,
                  {text.language: headline}, {text.language: description}, (zone.id,), now + timedelta(hours=6),
                  instruction={text.language: instruction} if instruction else {})
    return render_cap(alert, sender=config.cap_sender, sender_name=config.city, zones=[zone], sent=now,
                      timezone=config.timezone).decode()
