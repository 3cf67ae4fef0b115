"""What a broadcast does to each sign it targets, before and after it is sent.

Before: the face each sign would light (its PNG, from the same rendering the street uses) or why it cannot hold
it. After: for each sign, whether it shows the broadcast, keeps its lower-lane content because its face cannot hold
it, waits behind an alert, or has not been told yet, read from the panel's "why" as the engine last published it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from renderers.panel_content import render_panel_content
from renderers.preview import panel_preview_png
from signage.board import Decision, targets_panel
from signage.config import Config
from signage.model import Message, ProfileKind

__all__ = ["faces", "sign_states", "targeted_panels"]


def targeted_panels(config: Config, message: Message) -> list[str]:
    """The panels ``message`` reaches, in the configuration's order."""
    return [panel.id for panel in config.panels.values()
            if targets_panel(message.targets, panel, config.zone_ancestors(panel.zone))]


def faces(config: Config, message: Message) -> list[dict[str, Any]]:
    """Each targeted sign as it would show ``message`` alone: ``fits`` with a PNG data URL of its face, or the
    refusal (``code``, its details and ``reason`` in words) and the sign keeps what it shows now."""
    signs = []
    for panel_id in targeted_panels(config, message):
        panel = config.panels[panel_id]
        profile = config.profiles[panel.profile]
        channel = "kiosks" if profile.kind is ProfileKind.KIOSK else "panels"
        sign: dict[str, Any] = {"panel": panel.id, "name": panel.name, "profile": profile.name,
                                "kind": profile.kind.value}
        if channel not in message.channels:
            signs.append({**sign, "fits": False, "code": "not_sent", "reason": f"not sent to {channel}"})
            continue
        decision = Decision(panel.id, (message,), message.lane, "preview", ())
        content = render_panel_content(
            panel, profile, decision, lambda m, language: config.templates.render(m.template, m.params, language))
        refused = content.get("refused")
        if refused:
            signs.append({**sign, "fits": False, **{k: v for k, v in refused[0].items() if k != "message"}})
            continue
        png = panel_preview_png(content, profile)
        signs.append({**sign, "fits": True, "png": "data:image/png;base64," + base64.b64encode(png).decode()})
    return signs


def sign_states(config: Config, message_id: str, targets: list[str],
                explanations: Mapping[str, Mapping[str, Any] | None]) -> list[dict[str, Any]]:
    """For each targeted panel, what became of the message there: ``shown``, ``unfit`` (the sign keeps its
    lower-lane content; the refusal's code and details say why), ``pre-empted`` (a higher lane holds the face),
    ``waiting`` (another message of its lane and priority, or scheduled), or ``pending`` (not explained yet)."""
    states = []
    for panel_id in targets:
        sign: dict[str, Any] = {"panel": panel_id, "name": config.panels[panel_id].name}
        why = explanations.get(panel_id)
        if why is None or not _mentions(why, message_id):
            states.append({**sign, "state": "pending"})
            continue
        unfit = next((r for r in why.get("unfit", ()) if r["message"] == message_id), None)
        competing = next((c["why"] for c in why.get("competing", ()) if c["id"] == message_id), "")
        if any(shown["id"] == message_id for shown in why["shown"]):
            states.append({**sign, "state": "shown"})
        elif unfit is not None:
            states.append({**sign, "state": "unfit", "keeps": why["lane"],
                           **{k: v for k, v in unfit.items() if k != "message"}})
        elif competing.startswith("pre-empted"):
            states.append({**sign, "state": "pre-empted", "by": why["lane"], "reason": competing})
        else:
            states.append({**sign, "state": "waiting", "reason": competing or "scheduled"})
    return states


def _mentions(why: Mapping[str, Any], message_id: str) -> bool:
    return any(entry["id"] == message_id for part in ("shown", "competing", "scheduled") for entry in why.get(part, ()))
