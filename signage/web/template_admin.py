"""Template versions over the console API: write a draft, submit it, have another approver publish it, roll
back to any earlier version. Only publishing changes the street; every move is in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from signage.staff_decisions import TEMPLATE_VERSIONS as VERSIONS
from signage.template_versions import IllegalMove, TemplateVersion, move, republished
from signage.timeutil import format_instant
from signage.web.console import browser_csrf, engine_command, in_preview_worker, staff_for_api
from signage.web.errors import json_error, read_json
from signage.web.keys import CONFIG, STORE
from signage.web.staff_auth import Staff
from signage.web.template_preview import check_version

__all__ = ["routes", "versions_of"]

routes = web.RouteTableDef()
MAX_BODY = 32 * 1024
ROLE_FOR = {"submit": "editor", "approve": "approver", "reject": "approver"}


def _template_id(request: web.Request) -> str:
    template_id = request.match_info["template_id"]
    if template_id not in request.app[CONFIG].current.templates:
        raise json_error(web.HTTPNotFound, "unknown_template", f"no template {template_id[:100]!r}")
    return template_id


async def versions_of(request: web.Request, template_id: str) -> list[TemplateVersion]:
    """A template's versions, oldest first: its own keys (``template:000042``) read from the store's index."""
    docs = await request.app[STORE].documents(VERSIONS, f"{template_id}:")
    return sorted((TemplateVersion.from_json(d) for d in docs), key=lambda v: v.number)


async def _next_number(request: web.Request, template_id: str) -> int:
    """A number no other version of the template has or will get, even from two editors at once."""
    written = max((v.number for v in await versions_of(request, template_id)), default=0)
    return await request.app[STORE].next_number(f"{VERSIONS}:{template_id}", at_least=written)


async def _checked(request: web.Request, staff: Staff, template_id: str, spec: Any) -> dict[str, Any]:
    """The version's content compiled and rendered with the template's example under the render budget, in a
    preview worker: 400 when it cannot be, for it could not be shown on the street either."""
    shipped = request.app[CONFIG].current.templates.spec(template_id)
    example = dict(shipped.example) if shipped else {}
    return await in_preview_worker(request, staff, check_version, template_id, spec, example,
                                   request.app[CONFIG].current.text_settings)


async def _save(request: web.Request, version: TemplateVersion, read: dict[str, Any] | None = None) -> None:
    """Write ``version`` over what was ``read`` of it (None: a new one); 409 if another writer moved it since,
    so that two approvers acting at once never both succeed."""
    if not await request.app[STORE].compare_and_set(VERSIONS, version.key, read, version.to_json()):
        raise json_error(web.HTTPConflict, "changed_meanwhile",
                         f"version {version.number} was changed by someone else meanwhile; reload it")


async def _publish(request: web.Request, version: TemplateVersion, actor: str, now: datetime) -> None:
    """Supersede what was published, and tell the engine: from now on the street shows this version."""
    docs = await request.app[STORE].documents(VERSIONS, f"{version.template}:")
    for doc in docs:
        other = TemplateVersion.from_json(doc)
        if other.state == "published" and other.number != version.number:
            # Superseded by whoever gets there first: a version another approver moved meanwhile is theirs.
            await request.app[STORE].compare_and_set(VERSIONS, other.key, doc,
                                                     move(other, "supersede", actor, True, now).to_json())
    await engine_command(request, "template", now, template=version.template, spec=dict(version.spec))


@routes.get("/api/v1/admin/templates")
async def list_templates(request: web.Request) -> web.Response:
    await staff_for_api(request, "viewer")
    docs = await request.app[STORE].documents(VERSIONS)
    published = {d["template"]: d["number"] for d in docs if d["state"] == "published"}
    return web.json_response({"templates": [{"id": t, "published_version": published.get(t)}
                                            for t in request.app[CONFIG].current.templates.ids()]})


@routes.get("/api/v1/admin/templates/{template_id}/versions")
async def list_versions(request: web.Request) -> web.Response:
    await staff_for_api(request, "viewer")
    versions = await versions_of(request, _template_id(request))
    return web.json_response({"versions": [v.to_json() for v in versions]})


@routes.post("/api/v1/admin/templates/{template_id}/versions")
async def new_version(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    template_id = _template_id(request)
    spec = (await _checked(request, staff, template_id, await read_json(request, MAX_BODY)))["spec"]
    now = datetime.now(UTC)
    number = await _next_number(request, template_id)
    version = TemplateVersion(template_id, number, spec, "draft", staff.username,
                              ({"action": "write", "by": staff.username, "at": format_instant(now)},))
    await _save(request, version)
    await request.app[STORE].append_audit(staff.username, "template.draft", version.key, spec)
    return web.json_response(version.to_json(), status=201)


async def _version(request: web.Request, template_id: str) -> tuple[TemplateVersion, dict[str, Any]]:
    try:
        number = int(request.match_info["number"])
    except ValueError:
        number = -1
    doc = await request.app[STORE].get(VERSIONS, f"{template_id}:{number:06d}") if number > 0 else None
    if doc is None:
        raise json_error(web.HTTPNotFound, "unknown_version", "no such version")
    return TemplateVersion.from_json(doc), doc


@routes.post("/api/v1/admin/templates/{template_id}/versions/{number}/{action}")
async def act(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ROLE_FOR:
        raise json_error(web.HTTPNotFound, "unknown_action", "action must be submit, approve or reject")
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    template_id = _template_id(request)
    version, read = await _version(request, template_id)
    now = datetime.now(UTC)
    try:
        moved = move(version, action, staff.username, staff.can(ROLE_FOR[action]), now)
    except IllegalMove as exc:
        raise json_error(web.HTTPConflict if "cannot" in str(exc) else web.HTTPForbidden, "refused",
                         str(exc)) from exc
    if moved.state == "published":
        await _checked(request, staff, template_id, dict(version.spec))  # within today's budget, still
    await _save(request, moved, read)
    if moved.state == "published":
        await _publish(request, moved, staff.username, now)
    await request.app[STORE].append_audit(staff.username, f"template.{action}", moved.key, {"state": moved.state})
    return web.json_response(moved.to_json())


@routes.post("/api/v1/admin/templates/{template_id}/rollback")
async def rollback(request: web.Request) -> web.Response:
    """Publish an earlier version again, as a new version (so the history keeps every step): only one that was
    published before, after another approver than its author read it."""
    staff = await staff_for_api(request, "approver")
    await browser_csrf(request)
    template_id = _template_id(request)
    body: Any = await read_json(request, 1024)
    number = body.get("version") if isinstance(body, dict) else None
    versions = await versions_of(request, template_id)
    earlier = next((v for v in versions if v.number == number), None)
    if earlier is None:
        raise json_error(web.HTTPBadRequest, "bad_rollback", "version: the number of an earlier published version")
    now = datetime.now(UTC)
    try:
        version = republished(earlier, await _next_number(request, template_id), staff.username, now)
    except IllegalMove as exc:
        raise json_error(web.HTTPConflict, "refused", str(exc)) from exc
    await _checked(request, staff, template_id, dict(version.spec))
    await _save(request, version)
    await _publish(request, version, staff.username, now)
    await request.app[STORE].append_audit(staff.username, "template.rollback", version.key,
                                          {"to": earlier.number})
    return web.json_response(version.to_json(), status=201)
