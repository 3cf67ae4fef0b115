"""Previews of a template being edited: the LED signs (MULTI and a PNG), and the phone notification, with a
warning for each sign the text does not fit. The template runs in the same sandbox as published ones: it cannot
reach Python objects or files, and an attempt is a clear error, never executed."""

from __future__ import annotations

import base64
from typing import Any

from renderers.multi import DoesNotFit, LedText, compose_multi
from renderers.preview import panel_preview_png
from renderers.push import push_payload
from signage.config import Config
from signage.model import ProfileKind
from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec

__all__ = ["PreviewProblem", "render_preview"]


class PreviewProblem(ValueError):
    """The template cannot be rendered; the message says where."""


def render_preview(config: Config, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("template"), dict):
        raise PreviewProblem("template: give {language: {title, lines}} and optionally pictogram")
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
    signs: dict[str, Any] = {}
    for profile in config.profiles.values():
        if profile.kind is ProfileKind.KIOSK:
            continue
        led = LedText(text.lines or (text.title,), text.pictogram)
        try:
            multi = compose_multi([led], profile)
        except DoesNotFit as exc:
            signs[profile.name] = {"fits": False, "warning": str(exc)}
            continue
        png = panel_preview_png({"multi": multi, "pages": []}, profile)
        signs[profile.name] = {"fits": True, "multi": multi,
                               "png": "data:image/png;base64," + base64.b64encode(png).decode()}
    push = push_payload(title=text.title, body="\n".join(text.lines), url="/", tag="preview", language=text.language)
    return {"language": text.language, "title": text.title, "lines": list(text.lines), "signs": signs,
            "push": push.decode()}
