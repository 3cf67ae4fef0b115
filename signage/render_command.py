"""``signage render`` and ``signage multi``: the renderers from the command line, for operators and for checks.

A message file (JSON or YAML) names a template and its parameters, or gives its text directly::

    {"template": "parking-guidance", "params": {"a_name": "Darcy", "a_free": 120, ...}, "language": "fr"}
    {"title": "Marché de Noël", "lines": ["Place François Rude", "jusqu'au 31/12"], "severity": "minor"}

For ``--format cap`` it may add ``id``, ``event``, ``zones`` (zone ids of the configuration), ``urgency`` and
``expires`` (ISO 8601).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from renderers.cap_out import render_cap, text_alert
from renderers.kiosk import render_static_page
from renderers.multi import DoesNotFit, compose_single
from renderers.multi_render import render_multi
from renderers.panel_content import CHANNEL_OF_KIND, led_text, severity_label
from renderers.preview import panel_preview_png
from renderers.push import push_payload
from signage.config import Config
from signage.model import ProfileKind
from signage.templates import RenderedText, TemplateProblem
from signage.timeutil import parse_instant

__all__ = ["FORMATS", "RenderProblem", "multi_report", "read_message", "render_message"]

FORMATS = ("multi", "png", "html", "push", "cap")
MAX_MESSAGE_BYTES = 256 * 1024


class RenderProblem(ValueError):
    """Why the message could not be rendered; printed for the operator."""


def read_message(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if len(raw) > MAX_MESSAGE_BYTES:
        raise RenderProblem(f"{path}: larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))  # JSON is YAML
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RenderProblem(f"{path}: not JSON or YAML: {exc}") from exc
    if not isinstance(data, dict) or not ({"template", "title", "lines"} & set(data)):
        raise RenderProblem(f"{path}: a message needs 'template' (with 'params') or 'title' and 'lines'")
    return data


def _text(config: Config, message: dict[str, Any]) -> RenderedText:
    language = str(message.get("language", config.languages[0]))
    if "template" in message:
        try:
            return config.templates.render(str(message["template"]), dict(message.get("params") or {}), language)
        except TemplateProblem as exc:
            raise RenderProblem(str(exc)) from exc
    lines = message.get("lines") or []
    if not isinstance(lines, list) or len(lines) > 4:
        raise RenderProblem("'lines' must be a list of at most 4 texts")
    # The text itself is shown as a broadcast from the console is: through the operator template, whose title
    # leads the lines on LED signs (they have no title of their own).
    params = {"title": str(message.get("title", "")),
              **{f"line{n + 1}": str(lines[n]) if n < len(lines) else "" for n in range(4)}}
    try:
        text = config.templates.render("operator", params, language)
    except TemplateProblem as exc:
        raise RenderProblem(str(exc)) from exc
    return replace(text, pictogram=str(message.get("pictogram", "")))


def render_message(config: Config, profile_name: str, fmt: str, message: dict[str, Any]) -> bytes:
    """The message in ``fmt`` for a panel of ``profile_name``; raises ``RenderProblem`` with the reason."""
    if profile_name not in config.profiles:
        raise RenderProblem(f"unknown profile {profile_name!r} (known: {', '.join(sorted(config.profiles))})")
    profile = config.profiles[profile_name]
    text = _text(config, message)
    severity = message.get("severity")
    shown = text.on(CHANNEL_OF_KIND[profile.kind])
    if fmt in ("multi", "png") and profile.kind is not ProfileKind.KIOSK:
        try:
            multi, _ = compose_single(led_text(text, profile.kind), profile)
        except DoesNotFit as exc:
            raise RenderProblem(f"does not fit {profile.name}: {exc}") from exc
        if fmt == "multi":
            return multi.encode("utf-8")
        return panel_preview_png({"multi": multi, "pages": []}, profile)
    if fmt == "multi":
        raise RenderProblem(f"{profile.name} is a kiosk: it has no MULTI")
    content = {
        "panel": "preview", "name": str(message.get("name", profile.name)), "profile": profile.name,
        "kind": profile.kind.value, "language": text.language, "lane": "operator", "reason": "preview",
        "page_time_s": profile.page_time_s, "etag": "preview",
        "pages": [{"message": str(message.get("id", "preview")), "lane": "operator", "severity": severity,
                   "severity_label": severity_label(text.language, str(severity)) if severity else None,
                   "title": shown.title, "lines": list(shown.lines), "language": text.language,
                   "pictogram": text.pictogram or None}],
    }
    if fmt == "png":
        return panel_preview_png(content, profile)
    if fmt == "html":
        return render_static_page(content).encode("utf-8")
    if fmt == "push":
        title, body = text.push_text()
        return push_payload(title=title, body=body, url=str(message.get("url", "/")),
                            tag=str(message.get("id", "preview")), language=text.language,
                            severity=str(severity) if severity else None)
    if fmt == "cap":
        return _cap(config, message, text)
    raise RenderProblem(f"format must be one of {', '.join(FORMATS)}")


def _cap(config: Config, message: dict[str, Any], text: RenderedText) -> bytes:
    zones = [str(z) for z in message.get("zones") or [next(iter(config.zones), "")] if z]
    unknown = [z for z in zones if z not in config.zones]
    if unknown or not zones:
        raise RenderProblem(f"unknown zones {unknown} (known: {', '.join(config.zones)})")
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        expires = parse_instant(str(message["expires"])) if message.get("expires") else now + timedelta(hours=6)
    except ValueError as exc:
        raise RenderProblem(f"expires: {exc}") from exc
    alert = text_alert(text, str(message.get("id", f"manual-{now:%Y%m%dT%H%M%S}")), "signage render", now,
                       tuple(zones), expires, str(message.get("severity", "unknown")),
                       str(message.get("urgency", "immediate")), str(message.get("event", "")))
    return render_cap(alert, sender=config.cap_sender, sender_name=config.city,
                      zones=[config.zones[z] for z in zones], sent=now, timezone=config.timezone,
                      languages=config.languages)


def multi_report(config: Config, profile_name: str, multi: str) -> dict[str, Any]:
    if profile_name not in config.profiles:
        raise RenderProblem(f"unknown profile {profile_name!r} (known: {', '.join(sorted(config.profiles))})")
    profile = config.profiles[profile_name]
    if profile.kind is ProfileKind.KIOSK:
        raise RenderProblem(f"{profile.name} is a kiosk, not a LED sign")
    return render_multi(multi, profile).to_json()

