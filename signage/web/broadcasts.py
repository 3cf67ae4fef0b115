"""Broadcasts from the console: staff compose a message, choose where it shows (zones, panel tags, panels,
topics), how important it is, from when and until when; "stop" clears it from every panel at once. Commands go to
the engine on the delivery stream, every broadcast and stop lands in the audit log, and the broadcasts not yet
over are listed for the console."""

from __future__ import annotations

import asyncio
import fnmatch
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from signage.model import Alert, Lane, Message, Targets
from signage.pipeline.alert_book import AlertBook
from signage.safe_text import clean
from signage.staff_decisions import BROADCASTS, EMERGENCIES
from signage.timeutil import format_instant, parse_instant
from signage.web.broadcast_faces import faces, sign_states, targeted_panels
from signage.web.console import browser_csrf, engine_command, staff_for_api
from signage.web.errors import json_error, read_json
from signage.web.keys import CONFIG, STORE
from signage.web.panels import explanation

__all__ = ["routes"]

routes = web.RouteTableDef()
MAX_BODY = 16 * 1024
MAX_LINE = 120
MAX_TARGETS = 200


def _bad(code: str, problem: ValueError) -> web.HTTPException:
    """A 400 whose ``field`` names what to fix (the message starts with it), so a page can say it in its words."""
    field = str(problem).split(":", 1)[0].split(".", 1)[0]
    return json_error(web.HTTPBadRequest, code, str(problem), field=field)


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
    zones, tags, panels, topics = _targets(body.get("targets"), config)
    priority = body.get("priority", 50)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 100:
        raise ValueError("priority: 1 to 100")
    starts = max(now, _instant(body, "starts_at", config.timezone) or now)
    ends = _instant(body, "ends_at", config.timezone) or starts + timedelta(hours=2)
    if ends <= starts:
        raise ValueError("ends_at: after the start (and in the future)")
    if ends - now > timedelta(days=31):
        raise ValueError("ends_at: within 31 days")
    severity = body.get("severity")
    if severity not in (None, "minor", "moderate", "severe", "extreme"):
        raise ValueError("severity: minor, moderate, severe or extreme")
    params = {"title": title.strip(), **{f"line{i + 1}": (lines[i] if i < len(lines) else "") for i in range(4)}}
    return Message(f"broadcast:{secrets.token_hex(6)}", Lane.OPERATOR, priority, "operator", params,
                   Targets(zones=tuple(zones), tags=tuple(tags), panels=tuple(panels), topics=tuple(topics)),
                   ("panels", "kiosks", "websocket"), starts, ends, f"console:{author}", severity)


def _instant(body: dict[str, Any], name: str, timezone: str) -> datetime | None:
    """An ISO 8601 instant; without an offset it is read on the city's clocks, as staff type it."""
    if not body.get(name):
        return None
    try:
        return parse_instant(str(body[name]), assume_zone=timezone)
    except ValueError as exc:
        raise ValueError(f"{name}: an ISO 8601 instant, such as 2026-12-24T18:00 ({exc})") from exc


def _targets(targets: Any, config: Any) -> tuple[list[str], ...]:
    """Zones, panel tags, panels and topics; each must name something the city has, so a typo is refused
    rather than broadcast to nobody."""
    if not isinstance(targets, dict):
        raise ValueError("targets: {zones, tags, panels, topics}")
    chosen = []
    for kind in ("zones", "tags", "panels", "topics"):
        values = targets.get(kind) or []
        if not isinstance(values, list) or len(values) > MAX_TARGETS or not all(
                isinstance(v, str) and 0 < len(v) <= 100 for v in values):
            raise ValueError(f"targets.{kind}: a list of at most {MAX_TARGETS} names")
        chosen.append(list(dict.fromkeys(values)))
    zones, tags, panels, topics = chosen
    if not (zones or tags or panels or topics):
        raise ValueError("targets: at least one zone, panel tag, panel or topic")
    known_tags = {tag for panel in config.panels.values() for tag in panel.tags}
    unknown = ([z for z in zones if z not in config.zones] + [t for t in tags if t not in known_tags]
               + [p for p in panels if p not in config.panels]
               + [t for t in topics if not any(fnmatch.fnmatchcase(t, topic.pattern) for topic in config.topics)])
    if unknown:
        raise ValueError(f"targets: unknown {', '.join(unknown)}")
    return zones, tags, panels, topics


@routes.post("/api/v1/admin/broadcasts")
async def broadcast(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    body = await read_json(request, MAX_BODY)
    now = datetime.now(UTC)
    try:
        message = _message(body, request.app[CONFIG].current, staff.username, now)
    except ValueError as exc:
        raise _bad("bad_broadcast", exc) from exc
    store = request.app[STORE]  # recorded first: the engine reads it again at start, whatever the bus kept
    await store.put(BROADCASTS, message.id, {**message.to_json(), "by": staff.username})
    await engine_command(request, "broadcast", now, message=message.to_json())
    await store.append_audit(staff.username, "broadcast.start", message.id, message.to_json())
    return web.json_response({"id": message.id, "starts_at": format_instant(message.activated_at),
                              "expires_at": format_instant(message.expires_at or now)}, status=201)


async def _faces(request: web.Request, role: str, code: str,
                 compose: Callable[[Any, Any, str, datetime], Message]) -> web.Response:
    """Each sign the message ``compose`` makes of the body would reach, as it would light it, or why its face
    cannot hold it (it would keep what it shows). Nothing is sent."""
    staff = await staff_for_api(request, role)
    await browser_csrf(request)
    body = await read_json(request, MAX_BODY)
    config = request.app[CONFIG].current
    try:
        message = compose(body, config, staff.username, datetime.now(UTC))
    except ValueError as exc:
        raise _bad(code, exc) from exc
    return web.json_response({"signs": await asyncio.to_thread(faces, config, message)})


@routes.post("/api/v1/admin/broadcasts/preview")
async def preview_broadcast(request: web.Request) -> web.Response:
    """Each sign the broadcast would reach, as it would light it, or why it cannot."""
    return await _faces(request, "editor", "bad_broadcast", _message)


@routes.get("/api/v1/admin/broadcasts")
async def list_broadcasts(request: web.Request) -> web.Response:
    """Broadcasts not yet over, soonest to end first; ``scheduled`` ones have not started. ``signs`` says, sign by
    sign, whether each shows it, keeps its own content because its face cannot hold it, or waits behind an alert."""
    await staff_for_api(request, "viewer")
    now = datetime.now(UTC)
    config = request.app[CONFIG].current
    store, current, explanations = request.app[STORE], [], {}
    for doc in await store.documents(BROADCASTS):
        if parse_instant(str(doc["expires_at"])) <= now:
            await store.delete(BROADCASTS, str(doc["id"]))  # over: nothing to stop any more
            continue
        targets = targeted_panels(config, Message.from_json(doc))
        for panel_id in targets:
            if panel_id not in explanations:
                explanations[panel_id] = await explanation(request, panel_id)
        current.append({**doc, "scheduled": parse_instant(str(doc["activated_at"])) > now,
                        "signs": sign_states(config, str(doc["id"]), targets, explanations)})
    current.sort(key=lambda d: (d["expires_at"], d["id"]))
    return web.json_response({"broadcasts": current})


@routes.delete("/api/v1/admin/broadcasts/{message_id}")
async def stop(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    message_id = request.match_info["message_id"]
    if not message_id.startswith("broadcast:") or len(message_id) > 64:
        raise json_error(web.HTTPNotFound, "unknown_broadcast", "no such broadcast")
    now = datetime.now(UTC)
    await request.app[STORE].delete(BROADCASTS, message_id)  # first: a restarted engine must not show it again
    await engine_command(request, "stop", now, id=message_id, by=staff.username)
    await request.app[STORE].append_audit(staff.username, "broadcast.stop", message_id, {})
    return web.Response(status=204)


def _alert(body: Any, config: Any, author: str, now: datetime) -> Alert:
    if not isinstance(body, dict):
        raise ValueError("body: a JSON object")
    languages = tuple(config.languages)
    headline = _texts(body, "headline", 200, languages, required=True)
    description = _texts(body, "description", 2000, languages)
    instruction = _texts(body, "instruction", 1000, languages)
    zones = body.get("zones") or []
    if not zones or not all(isinstance(z, str) and z in config.zones for z in zones):
        raise ValueError(f"zones: one or more of {', '.join(config.zones)}")
    severity = body.get("severity", "severe")
    if severity not in ("moderate", "severe", "extreme"):
        raise ValueError("severity: moderate, severe or extreme")
    ends = parse_instant(str(body["ends_at"])) if body.get("ends_at") else now + timedelta(hours=6)
    if ends <= now:
        raise ValueError("ends_at: in the future")
    event = str(body.get("event") or headline[languages[0]])[:100]
    identifier = f"{config.cap_sender.split('@')[-1]}.{now:%Y%m%dT%H%M%S}.{secrets.token_hex(3)}"
    return Alert(identifier, f"console:{author}", now, "alert", severity, "immediate", event,
                 headline, description, tuple(zones), ends, events={languages[0]: event}, instruction=instruction)


def _texts(body: dict[str, Any], name: str, limit: int, languages: tuple[str, ...], required: bool = False
           ) -> dict[str, str]:
    """A text in the city's languages (``{fr: …, en: …}``), its own first and required when ``required``; the
    languages given, empty ones left out."""
    given = body.get(name) or {}
    if not isinstance(given, dict) or not all(isinstance(v, str) and len(v) <= limit for v in given.values()) or (
            required and not given.get(languages[0])):
        raise ValueError(f"{name}: {{{', '.join(languages)}}} texts of at most {limit:,} characters"
                         + f", {languages[0]} required" * required)
    return {k: clean(v) for k, v in given.items() if k in languages and v}  # no controls or bidi overrides


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
        raise _bad("bad_emergency", exc) from exc
    await request.app[STORE].put(EMERGENCIES, alert.id, alert.to_json())
    await engine_command(request, "alert", now, alert=alert.to_json())
    await request.app[STORE].append_audit(staff.username, "emergency.issue", alert.id, alert.to_json())
    return web.json_response({"id": alert.id, "cap": f"/api/v1/open/alerts/{alert.id}.xml"}, status=201)


@routes.post("/api/v1/admin/emergency/preview")
async def preview_emergency(request: web.Request) -> web.Response:
    """Each sign of the chosen zones as it would show the alert, or why it cannot."""

    def shown(body: Any, config: Any, author: str, now: datetime) -> Message:
        alert = _alert(body, config, author, now)
        return AlertBook.message(alert, alert.zones)

    return await _faces(request, "approver", "bad_emergency", shown)


@routes.delete("/api/v1/admin/emergency/{alert_id}")
async def cancel_emergency(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "approver")
    await browser_csrf(request)
    alert_id = request.match_info["alert_id"][:120]
    now = datetime.now(UTC)
    cancel = Alert(f"{alert_id}.cancel", f"console:{staff.username}", now, "cancel", "unknown", "past", "",
                   {}, {}, (), None, (alert_id,))
    await request.app[STORE].delete(EMERGENCIES, alert_id)
    await engine_command(request, "alert", now, alert=cancel.to_json())
    await request.app[STORE].append_audit(staff.username, "emergency.cancel", alert_id, {})
    return web.Response(status=204)
