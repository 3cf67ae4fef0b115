"""Broadcasts from the console: staff compose a message, choose where it shows, how important it is and until
when; "stop" clears it from every panel at once. Commands go to the engine on the delivery stream, and every
broadcast and stop lands in the audit log."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from signage.model import Alert, Lane, Message, Targets
from signage.timeutil import format_instant, parse_instant
from signage.web.console import browser_csrf, engine_command, staff_for_api
from signage.web.errors import json_error, read_json
from signage.web.keys import CONFIG, STORE

__all__ = ["routes"]

routes = web.RouteTableDef()
MAX_BODY = 16 * 1024
MAX_LINE = 120


def _message(body: Any, config: Any, author: str, now: datetime) -> Message:
    if not isinstance(body, dict):
        raise ValueError("body: a JSON object")
    title = body.get("title")
    lines = body.get("lines") or []
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_LINE:
        raise ValueError(f"title: 1 to {MAX_LINE} characters")
    if not isinstance(lines, list) or len(lines) > 4 or not all(isinstance(x, str) and len(x) <= MAX_LINE
                                                                for x in lines):
        raise ValueError(f"lines: at most 4 lines of {MAX_LINE} characters")
    targets = body.get("targets") or {}
    zones, tags, panels, topics = (list(targets.get(k) or []) for k in ("zones", "tags", "panels", "topics"))
    if not (zones or tags or panels or topics):
        raise ValueError("targets: at least one zone, panel tag, panel or topic")
    unknown = [z for z in zones if z not in config.zones] + [p for p in panels if p not in config.panels]
    if unknown:
        raise ValueError(f"targets: unknown {', '.join(unknown)}")
    priority = body.get("priority", 50)
    if not isinstance(priority, int) or not 1 <= priority <= 100:
        raise ValueError("priority: 1 to 100")
    ends = parse_instant(str(body["ends_at"])) if body.get("ends_at") else now + timedelta(hours=2)
    if ends <= now:
        raise ValueError("ends_at: in the future")
    severity = body.get("severity")
    if severity not in (None, "minor", "moderate", "severe", "extreme"):
        raise ValueError("severity: minor, moderate, severe or extreme")
    params = {"title": title.strip(), **{f"line{i + 1}": (lines[i] if i < len(lines) else "") for i in range(4)}}
    return Message(f"broadcast:{secrets.token_hex(6)}", Lane.OPERATOR, priority, "operator", params,
                   Targets(zones=tuple(zones), tags=tuple(tags), panels=tuple(panels), topics=tuple(topics)),
                   ("panels", "kiosks", "websocket"), now, ends, f"console:{author}", severity)


@routes.post("/api/v1/admin/broadcasts")
async def broadcast(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    body = await read_json(request, MAX_BODY)
    now = datetime.now(UTC)
    try:
        message = _message(body, request.app[CONFIG].current, staff.username, now)
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_broadcast", str(exc)) from exc
    await engine_command(request, "broadcast", now, message=message.to_json())
    await request.app[STORE].append_audit(staff.username, "broadcast.start", message.id, message.to_json())
    return web.json_response({"id": message.id, "expires_at": format_instant(message.expires_at or now)},
                             status=201)


@routes.delete("/api/v1/admin/broadcasts/{message_id}")
async def stop(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    message_id = request.match_info["message_id"]
    if not message_id.startswith("broadcast:") or len(message_id) > 64:
        raise json_error(web.HTTPNotFound, "unknown_broadcast", "no such broadcast")
    now = datetime.now(UTC)
    await engine_command(request, "stop", now, id=message_id, by=staff.username)
    await request.app[STORE].append_audit(staff.username, "broadcast.stop", message_id, {})
    return web.Response(status=204)


def _alert(body: Any, config: Any, author: str, now: datetime) -> Alert:
    if not isinstance(body, dict):
        raise ValueError("body: a JSON object")
    headline = body.get("headline")
    if not isinstance(headline, dict) or not headline.get("fr") or not all(
            isinstance(v, str) and len(v) <= 200 for v in headline.values()):
        raise ValueError("headline: {fr, en} texts of at most 200 characters, fr required")
    description = body.get("description") or {}
    if not isinstance(description, dict) or not all(isinstance(v, str) and len(v) <= 2000
                                                    for v in description.values()):
        raise ValueError("description: {fr, en} texts of at most 2,000 characters")
    zones = body.get("zones") or []
    if not zones or not all(isinstance(z, str) and z in config.zones for z in zones):
        raise ValueError(f"zones: one or more of {', '.join(config.zones)}")
    severity = body.get("severity", "severe")
    if severity not in ("moderate", "severe", "extreme"):
        raise ValueError("severity: moderate, severe or extreme")
    ends = parse_instant(str(body["ends_at"])) if body.get("ends_at") else now + timedelta(hours=6)
    if ends <= now:
        raise ValueError("ends_at: in the future")
    event = str(body.get("event") or headline["fr"])[:100]
    identifier = f"{config.cap_sender.split('@')[-1]}.{now:%Y%m%dT%H%M%S}.{secrets.token_hex(3)}"
    return Alert(identifier, f"console:{author}", now, "alert", severity, "immediate", event,
                 {k: v for k, v in headline.items() if k in ("fr", "en")},
                 {k: v for k, v in description.items() if k in ("fr", "en")}, tuple(zones), ends,
                 events={"fr": event})


@routes.post("/api/v1/admin/emergency")
async def emergency(request: web.Request) -> web.Response:
    """An emergency alert: pre-empts every panel of its zones, is pushed with high urgency across quiet hours
    (severe and extreme), and is published as CAP 1.2 in the alerts feed. Approvers and admins only."""
    staff = await staff_for_api(request, "approver")
    await browser_csrf(request)
    body = await read_json(request, MAX_BODY)
    now = datetime.now(UTC)
    try:
        alert = _alert(body, request.app[CONFIG].current, staff.username, now)
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_emergency", str(exc)) from exc
    await engine_command(request, "alert", now, alert=alert.to_json())
    await request.app[STORE].append_audit(staff.username, "emergency.issue", alert.id, alert.to_json())
    return web.json_response({"id": alert.id, "cap": f"/api/v1/open/alerts/{alert.id}.xml"}, status=201)


@routes.delete("/api/v1/admin/emergency/{alert_id}")
async def cancel_emergency(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "approver")
    await browser_csrf(request)
    alert_id = request.match_info["alert_id"][:120]
    now = datetime.now(UTC)
    cancel = Alert(f"{alert_id}.cancel", f"console:{staff.username}", now, "cancel", "unknown", "past", "",
                   {}, {}, (), None, (alert_id,))
    await engine_command(request, "alert", now, alert=cancel.to_json())
    await request.app[STORE].append_audit(staff.username, "emergency.cancel", alert_id, {})
    return web.Response(status=204)
