"""The console's working pages: templates (list and editor), broadcast with its map of panels, emergency alert,
a panel's "why", the audit log and staff accounts. Server-rendered with autoescaping; the little JavaScript they
use calls the console API with the session's CSRF token."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from channels.ntcip_signs import DEVICE_STATUS
from signage.model import ProfileKind
from signage.staff_decisions import BROADCASTS
from signage.staff_decisions import TEMPLATE_VERSIONS as VERSIONS
from signage.template_versions import TemplateVersion, spec_changes
from signage.templates import CHANNEL_FIELDS, normalize_variant
from signage.web.console import page, signed_in
from signage.web.console_language import console_language, request_translator
from signage.web.console_words import audit_sentence, city_clock, in_words
from signage.web.errors import json_error
from signage.web.keys import CONFIG, SETTINGS, STAFF, STORE
from signage.web.panel_map import map_attributes
from signage.web.panels import current_content, explanation
from signage.web.staff_auth import ROLES
from signage.web.template_admin import versions_of

__all__ = ["routes"]

routes = web.RouteTableDef()
STATE_NAMES = {"draft": "brouillon", "review": "en relecture", "published": "publiée", "superseded": "remplacée",
               "rejected": "refusée"}
ACTION_NAMES = {"write": "écrite", "submit": "soumise", "approve": "approuvée et publiée", "reject": "refusée",
                "rollback": "republiée"}
LINES_SHOWN = 4

@routes.get("/admin/templates")
async def templates_page(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "editor")
    config = request.app[CONFIG].current
    versions = [TemplateVersion.from_json(d) for d in await request.app[STORE].documents(VERSIONS)]
    rows = []
    for template_id in config.templates.ids():
        mine = [v for v in versions if v.template == template_id]
        published = max((v.number for v in mine if v.state == "published"), default=None)
        spec = config.templates.spec(template_id)
        rows.append({"id": template_id, "description": spec.description if spec else "",
                     "published": published, "in_review": sum(v.state == "review" for v in mine)})
    return page(request, "admin/template_list.html.j2", title="Modèles", staff=staff, csrf=csrf, templates=rows)


def _editable(raw: Any, language: str) -> dict[str, Any]:
    """A language variant with every channel present (empty when the template has none), for the form."""
    try:
        variant = normalize_variant(language, raw or {})
    except ValueError:
        variant = {"title": "", "lines": []}
    lines = list(variant["lines"]) + [""] * max(0, LINES_SHOWN - len(variant["lines"]))
    channels = {channel: dict(variant.get(channel, {})) for channel in CHANNEL_FIELDS}
    return {**variant, **channels, "lines_padded": lines, "multi": variant.get("multi", ""),
            "has_channels": bool(variant.get("multi")) or any(channels.values())}


@routes.get("/admin/templates/{template_id}")
async def template_page(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "editor")
    template_id = request.match_info["template_id"]
    config = request.app[CONFIG].current
    spec = config.templates.spec(template_id)
    if spec is None:
        raise json_error(web.HTTPNotFound, "unknown_template", f"no template {template_id[:100]!r}")
    docs = [v.to_json() for v in await versions_of(request, template_id)]
    translate = request_translator(request)
    shipped = {"variants": spec.variants, "pictogram": spec.pictogram}
    published = next((d["spec"] for d in reversed(docs) if d["state"] == "published"), shipped)
    for doc in docs:  # what each version changes from what the street shows now: what an approver checks
        doc["changes"] = spec_changes(published, doc["spec"]) if doc["state"] in ("review", "draft") else []
        for step in doc["history"]:
            action = str(step.get("action", ""))
            step["said"] = (translate("republiée (depuis la version {n})", n=action.rsplit(" ", 1)[-1])
                            if action.startswith("rollback to ") else translate(ACTION_NAMES.get(action, action)))
    source: dict[str, Any] = docs[-1]["spec"] if docs else shipped
    variants = {code: _editable(source["variants"].get(code), code) for code in config.languages}
    # What the composer offers: the template's values, each a count (a number, or none when unavailable) or a
    # text, as its example shows; and the width of the narrowest text sign, for the fit meter.
    values = {name: "count" if value is None or (isinstance(value, int | float) and not isinstance(value, bool))
              else "text" for name, value in spec.example.items() if isinstance(value, str | int | float | None)}
    room = min((p.chars_per_line for p in config.profiles.values() if p.kind is ProfileKind.CHARACTER), default=0)
    return page(request, "admin/templates.html.j2", title="Modèles", staff=staff, csrf=csrf,
                template_id=template_id, variants=variants, values=json.dumps(values), room=room,
                pictogram=source.get("pictogram", ""), state_names=STATE_NAMES,
                example=json.dumps(spec.example, ensure_ascii=False), versions=docs)


@routes.get("/admin/broadcast")
async def broadcast_page(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "editor")
    config = request.app[CONFIG].current
    tags = sorted({tag for panel in config.panels.values() for tag in panel.tags})
    return page(request, "admin/broadcast.html.j2", title="Diffusion", staff=staff, csrf=csrf,
                zones=list(config.zones.values()), tags=tags, topics=config.topics,
                zone_names={zone.id: zone.name for zone in config.zones.values()},
                panels=list(config.panels.values()),
                map=map_attributes(config.panels.values(), request.app[SETTINGS]))


@routes.get("/admin/emergency")
async def emergency_page(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "approver")
    config = request.app[CONFIG].current
    return page(request, "admin/emergency.html.j2", title="Alerte", staff=staff, csrf=csrf,
                zones=list(config.zones.values()))


async def names_staff_know(request: web.Request, explained: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ids as staff know them: zones, panels and rules by name, broadcasts and alerts by title, values by the name
    their feed gives; ``@`` gives an instant on the city's clock."""
    config = request.app[CONFIG].current
    names: dict[str, Any] = {"@": city_clock(config.timezone)}
    names |= {zone.id: zone.name for zone in config.zones.values()}
    names |= {panel.id: panel.name for panel in config.panels.values()}
    names |= {f"rule:{rule.id}": rule.description or rule.id for rule in config.rules}
    translate = request_translator(request)
    names |= {f"default:{panel.id}": translate("message par défaut") for panel in config.panels.values()}
    for doc in await request.app[STORE].documents(BROADCASTS):
        names[str(doc["id"])] = str((doc.get("params") or {}).get("title") or doc["id"])
    if explained:
        for alert in explained.get("alerts", ()):
            headline = alert.get("headline") or {}
            names[f"alert:{alert['id']}"] = headline.get(config.languages[0]) or alert.get("event") or alert["id"]
        for shown in explained.get("shown", ()):
            title = (shown.get("params") or {}).get("title")
            if title and shown["id"] not in names:
                names[shown["id"]] = str(title)
        for value in explained.get("values", ()):
            name = (value.get("value") or {}).get("name")
            if name:
                names[value["key"]] = str(name)
    return names


@routes.get("/admin/panels/{panel_id}")
async def panel_page(request: web.Request) -> web.Response:
    """Why a panel shows what it shows, in words: the winner, what it beat and why, what is scheduled, the rules
    and the values they read, with those values."""
    staff, csrf = await signed_in(request, "viewer")
    panel_id = request.match_info["panel_id"]
    config = request.app[CONFIG].current
    panel = config.panels.get(panel_id)
    if panel is None:
        raise json_error(web.HTTPNotFound, "unknown_panel", f"no panel {panel_id[:100]!r}")
    explained = await explanation(request, panel_id)
    names = await names_staff_know(request, explained)
    device = await request.app[STORE].get(DEVICE_STATUS, panel_id) if panel.ntcip is not None else None
    return page(request, "admin/panel.html.j2", title=panel.name, staff=staff, csrf=csrf, panel=panel,
                content=await current_content(request, panel_id), explanation=explained, names=names,
                said=lambda text: in_words(str(text), names, console_language(request)),
                device=device)


@routes.get("/admin/audit")
async def audit_page(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "approver")
    query = (request.query.get("q") or "").strip()[:100]
    entries = await request.app[STORE].audit(200, query or None)
    names = await names_staff_know(request)
    translate = request_translator(request)
    return page(request, "admin/audit.html.j2", title="Journal", staff=staff, csrf=csrf, query=query,
                entries=[{**e, "sentence": audit_sentence(e, names, translate),
                          "detail": json.dumps(e.get("detail", {}), ensure_ascii=False, indent=1)[:2000]}
                         for e in entries])


@routes.get("/admin/accounts")
async def accounts_page(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "admin")
    accounts = sorted(await request.app[STAFF].accounts(), key=lambda s: s.username)
    return page(request, "admin/accounts.html.j2", title="Comptes", staff=staff, csrf=csrf, accounts=accounts,
                roles=ROLES)
