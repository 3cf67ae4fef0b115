"""Previews of a template being edited, channel by channel: every LED sign (MULTI and a PNG, from its MULTI
pattern or its LED lines; pixel panels from their pixel lines), the kiosk, the phone notification and the CAP
document, with a warning for each sign the text does not fit. The template runs in the same sandbox and under the
same budget as published ones: it cannot reach Python objects or files, and an attempt is a clear error, never
executed. ``check_version`` is what a version must pass to be saved or published.

Both run in the preview workers (``signage.web.preview_pool``), away from the server's event loop; what they need
of the configuration travels as a ``PreviewSetting``, which a worker process can receive."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from renderers.cap_out import render_cap, text_alert
from renderers.multi import DoesNotFit, compose_single
from renderers.panel_content import CHANNEL_OF_KIND, led_text
from renderers.preview import panel_preview_png
from renderers.push import push_payload
from signage.config import Config
from signage.model import Profile, ProfileKind, Zone
from signage.template_filters import LANGUAGE, TextSettings
from signage.template_versions import check_spec
from signage.templates import RenderedText, TemplateLibrary, TemplateProblem, TemplateSpec

__all__ = ["PreviewProblem", "PreviewSetting", "check_version", "render_preview"]


class PreviewProblem(ValueError):
    """The template cannot be rendered; the message says where."""


@dataclass(frozen=True, slots=True)
class PreviewSetting:
    """What a preview needs of the configuration: plain values, so that a worker process can receive them."""

    city: str
    languages: tuple[str, ...]
    profiles: tuple[Profile, ...]
    zones: tuple[Zone, ...]
    cap_sender: str
    timezone: str

    @classmethod
    def of(cls, config: Config) -> PreviewSetting:
        return cls(config.city, tuple(config.languages), tuple(config.profiles.values()), tuple(config.zones.values()),
                   config.cap_sender, config.timezone)

    @property
    def text(self) -> TextSettings:
        return TextSettings(self.timezone, self.languages)


def check_version(template_id: str, spec: Any, example: dict[str, Any], settings: TextSettings
                  ) -> dict[str, Any]:
    """A version's content, compiled in the sandbox, then rendered with the template's example in every language
    under the render budget: ``{"spec": normalized, "warnings": […]}``. Raises ``TemplateProblem`` when it cannot
    be compiled or exceeds the budget (it could not be rendered on the street either); other render errors (a
    parameter the example lacks) are warnings."""
    normalized = check_spec(template_id, spec, settings)
    library = TemplateLibrary({template_id: TemplateSpec(template_id, normalized["variants"], "",
                                                         normalized["pictogram"])}, settings)
    warnings = []
    for language in sorted({*normalized["variants"], *settings.languages}):
        try:
            library.render(template_id, example, language)
        except TemplateProblem as exc:
            if exc.over_budget:
                raise
            warnings.append(str(exc))
    return {"spec": normalized, "warnings": warnings}


def render_preview(config: PreviewSetting, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("template"), dict):
        raise PreviewProblem("template: give {language: {title, lines, channel variants}} and optionally pictogram")
    variants = {lang: v for lang, v in body["template"].items() if isinstance(v, dict) and LANGUAGE.match(lang)}
    if not variants:
        raise PreviewProblem(f"template: at least one language variant ({', '.join(config.languages)})")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise PreviewProblem("params must be an object")
    language = str(body.get("language", config.languages[0]))
    try:
        library = TemplateLibrary({"preview": TemplateSpec("preview", variants, "",
                                                           str(body["template"].get("pictogram", "")))},
                                  config.text)
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


def _signs(config: PreviewSetting, text: RenderedText) -> dict[str, Any]:
    """Each sign profile: the PNG it would light, or why the text does not fit it."""
    signs: dict[str, Any] = {}
    for profile in config.profiles:
        if profile.kind is ProfileKind.KIOSK:
            continue
        channel = CHANNEL_OF_KIND[profile.kind]
        led = led_text(text, profile.kind)
        sign: dict[str, Any] = {"channel": "multi" if led.pattern else channel}
        try:
            multi, refused = compose_single(led, profile)
        except DoesNotFit as exc:  # the code and its details let the console say it in its own words
            signs[profile.name] = {**sign, "fits": False, "warning": str(exc), "code": exc.code, **exc.details}
            continue
        if refused:  # as on the street, the lines stand in for a pattern the sign refuses; staff are told
            sign = {"channel": channel, "warning": f"MULTI pattern refused ({refused}); shown from its lines"}
        png = panel_preview_png({"multi": multi, "pages": []}, profile)
        signs[profile.name] = {**sign, "fits": True, "multi": multi,
                               "png": "data:image/png;base64," + base64.b64encode(png).decode()}
    return signs


def _cap(config: PreviewSetting, text: RenderedText) -> str:
    """The CAP 1.2 document an emergency with this text would publish (for the city's first zone)."""
    zone = next(iter(config.zones), None)
    if zone is None:
        return ""
    now = datetime.now(UTC).replace(microsecond=0)
    alert = text_alert(text, "preview", "console", now, (zone.id,), now + timedelta(hours=6), "severe")
    return render_cap(alert, sender=config.cap_sender, sender_name=config.city, zones=[zone], sent=now,
                      timezone=config.timezone, languages=config.languages).decode()
