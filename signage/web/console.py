"""The staff console: sign-in and the control room (every panel, what it shows, whether it confirms it),
plus the console's API for automation with tokens. Pages are server-rendered with autoescaping."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from babel import Locale, UnknownLocaleError
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from signage.model import ProfileKind
from signage.protocol import FEEDS_TOPIC, INGEST_TOPIC, command_document
from signage.web.console_language import COOKIE, catalog, console_language, offered, translator
from signage.web.console_words import FAULTS, FIELDS, LANES, ROLES, in_words, local_time
from signage.web.errors import json_error, read_json
from signage.web.keys import BUS, CONFIG, HUB, LOGIN_LIMITS, PANEL_STATUS, PREVIEWING, PREVIEWS, SETTINGS, STAFF, STORE
from signage.web.panel_map import map_attributes
from signage.web.panels import current_content, panel_devices
from signage.web.preview_pool import PreviewBusy, PreviewFailed, PreviewTimeout
from signage.web.staff_auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    HashingBusy,
    Staff,
    StaffProblem,
    csrf_ok,
    same_origin,
)
from signage.web.template_preview import PreviewSetting, render_preview

__all__ = ["browser_csrf", "engine_command", "in_preview_worker", "page", "page_environment", "routes", "signed_in",
           "staff_for_api"]

routes = web.RouteTableDef()
T = TypeVar("T")
MAX_FORM_BYTES = 8192
# What the sign-in page says when it refuses (in French; the page says it in the staff member's language).
LOGIN_ERRORS = {"expired": "Le formulaire a expiré : saisissez à nouveau le mot de passe.",
                "throttled": "Trop d'essais : réessayez plus tard.",
                "busy": "Trop de connexions en cours : réessayez dans un instant.",
                "wrong": "Identifiant ou mot de passe incorrect."}
BY_TOKEN = web.RequestKey("by_token", bool)  # whether ``staff_for_api`` authenticated the call by an API token


@lru_cache(maxsize=8)
def language_choices(languages: tuple[str, ...]) -> list[dict[str, str]]:
    """The city's languages as staff choose them: the code and the language's own name (CLDR, via Babel)."""
    return [{"code": code, "name": _own_name(code)} for code in languages]


def _own_name(code: str) -> str:
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]


@lru_cache(maxsize=1)
def page_environment() -> Environment:
    """The server's HTML pages (content/pages), autoescaped, with the console's filters."""
    environment = Environment(loader=FileSystemLoader(str(resources.files("content").joinpath("pages"))),
                              autoescape=select_autoescape(default=True))
    # The engine's vocabulary in the console's words (in the page's language, from its ``_``): lanes and roles by
    # name, instants on the city's clock.
    for name, words in (("lane", LANES), ("role", ROLES), ("field", FIELDS), ("fault", FAULTS)):
        environment.filters[name] = _worded(words)
    environment.filters["local_time"] = local_time
    return environment


def _worded(words: dict[str, str]) -> Callable[..., str]:
    @pass_context
    def say(context: Any, key: str) -> str:
        french = words.get(key, key)
        translate = context.get("_")
        return str(translate(french)) if translate is not None else french

    return say


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A console page; every page knows the city, its languages (its own first), its time zone, and the staff
    member's language (``_`` translates, ``said`` words the engine's sentences, ``lang`` names it)."""
    config = request.app[CONFIG].current
    lang = console_language(request)
    translate = translator(lang)
    context.setdefault("said", lambda text: in_words(str(text), {}, lang))
    html = page_environment().get_template(template).render(
        city=config.city, languages=language_choices(config.languages), timezone=config.timezone, _=translate,
        lang=lang, console_languages=language_choices(offered(config.languages)), words=catalog(lang),
        title=translate(str(context.pop("title", ""))), **context)
    # The Content-Security-Policy and framing headers are every page's (``security_headers``).
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


async def _session(request: web.Request) -> tuple[Staff, str] | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    return await request.app[STAFF].session(token) if token else None


async def staff_for_api(request: web.Request, role: str) -> Staff:
    """The staff member behind an API call (a token, or a signed-in browser); 401 or 403 otherwise."""
    header = request.headers.get("Authorization", "")
    staff = await request.app[STAFF].by_token(header[7:]) if header.startswith("Bearer ") else None
    request[BY_TOKEN] = staff is not None  # only a token that authenticated spares the CSRF check
    if staff is None:
        session = await _session(request)
        staff = session[0] if session else None
    if staff is None:
        raise json_error(web.HTTPUnauthorized, "sign_in_required", "a staff token or session is needed")
    if not staff.can(role):
        raise json_error(web.HTTPForbidden, "forbidden", f"this needs the {role} role")
    return staff


async def engine_command(request: web.Request, command: str, now: datetime, **fields: Any) -> None:
    """Staff commands reach the engine on the delivery stream: in order with deliveries, replayed after a
    restart."""
    await request.app[BUS].publish(INGEST_TOPIC, command_document(command, now, **fields))


async def browser_csrf(request: web.Request) -> None:
    """A change made from a signed-in browser carries the page's CSRF token (``X-CSRF-Token``) and comes from
    this site; a call that an API token authenticated needs neither (any other ``Authorization`` header, junk
    included, changes nothing: the browser's cookie is what counts)."""
    if request.get(BY_TOKEN):
        return
    session = await _session(request)
    if session is not None and (
            not same_origin(request) or not csrf_ok(request.headers.get("X-CSRF-Token"), session[1])):
        raise json_error(web.HTTPForbidden, "bad_csrf", "send the page's X-CSRF-Token")


async def _form(request: web.Request) -> dict[str, str]:
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise json_error(web.HTTPRequestEntityTooLarge, "too_large", f"at most {MAX_FORM_BYTES} bytes")
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _login_page(request: web.Request, status: int = 200, username: str = "", error: str = "") -> web.Response:
    """The sign-in form with a fresh CSRF token, in the form and in a cookie that only this site's pages send."""
    token = secrets.token_urlsafe(24)
    response = page(request, "admin/login.html.j2", status=status, title="Connexion", staff=None, username=username,
                    error=error, csrf=token)
    response.set_cookie(LOGIN_COOKIE, token, secure=request.app[SETTINGS].cookie_secure, httponly=True,
                        samesite="Strict", path="/admin/login", max_age=3600)
    return response


@routes.get("/admin/login")
async def login_page(request: web.Request) -> web.Response:
    return _login_page(request)


@routes.post("/admin/login")
async def login(request: web.Request) -> web.Response:
    if not same_origin(request):
        raise json_error(web.HTTPForbidden, "cross_origin", "sign in from this site's own page")
    form = await _form(request)
    username, password = form.get("username", "")[:64].strip().lower(), form.get("password", "")
    if not csrf_ok(form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "\0")):
        # Not from the form this browser was given (or it expired): nobody can sign someone in from elsewhere.
        return _login_page(request, 403, username, LOGIN_ERRORS["expired"])
    address = request.remote or "?"
    limits, store = request.app[LOGIN_LIMITS], request.app[STORE]
    wait = limits.wait_s(username, address)
    if wait:
        response = _login_page(request, 429, username, LOGIN_ERRORS["throttled"])
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    try:
        staff = await request.app[STAFF].authenticate(username, password)
    except HashingBusy:
        response = _login_page(request, 503, username, LOGIN_ERRORS["busy"])
        response.headers["Retry-After"] = "2"
        return response
    if staff is None:
        limits.failed(username, address)
        await store.append_audit(username or "?", "staff.login.failed", username, {"address": address})
        return _login_page(request, 401, username, LOGIN_ERRORS["wrong"])
    limits.succeeded(username, address)
    token, _ = await request.app[STAFF].start_session(staff)
    await store.append_audit(staff.username, "staff.login", staff.username, {})
    response = web.HTTPSeeOther("/admin")
    response.del_cookie(LOGIN_COOKIE, path="/admin/login")
    response.set_cookie(SESSION_COOKIE, token, secure=request.app[SETTINGS].cookie_secure, httponly=True,
                        samesite="Strict", path="/", max_age=int(SESSION_LIFETIME.total_seconds()))
    raise response


@routes.get("/admin/language/{code}")
async def choose_language(request: web.Request) -> web.Response:
    """A staff member's console language, kept a year; back to the page it was chosen on (this site's only)."""
    code = request.match_info["code"]
    if code not in offered(request.app[CONFIG].current.languages):
        raise json_error(web.HTTPNotFound, "unknown_language", f"the console does not speak {code[:10]!r} here")
    path = urlsplit(request.headers.get("Referer", "")).path  # only the path: never another site
    response = web.HTTPSeeOther(path if path.startswith("/admin") and not path.startswith("/admin/language")
                                else "/admin")
    response.set_cookie(COOKIE, code, secure=request.app[SETTINGS].cookie_secure, httponly=True,
                        samesite="Lax", path="/admin", max_age=365 * 24 * 3600)
    raise response


@routes.post("/admin/logout")
async def logout(request: web.Request) -> web.Response:
    session = await _session(request)
    form = await _form(request)
    if session is None:
        raise web.HTTPSeeOther("/admin/login")
    if not same_origin(request) or not csrf_ok(form.get("csrf"), session[1]):
        raise json_error(web.HTTPForbidden, "bad_csrf", "this form is not from this session's page")
    await request.app[STAFF].end_session(request.cookies.get(SESSION_COOKIE, ""))
    await request.app[STORE].append_audit(session[0].username, "staff.logout", session[0].username, {})
    response = web.HTTPSeeOther("/admin/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/admin")
async def control_room(request: web.Request) -> web.Response:
    staff, csrf = await signed_in(request, "viewer")
    config = request.app[CONFIG].current
    devices = await panel_devices(request)
    panels = []
    for panel in config.panels.values():
        content = await current_content(request, panel.id)
        shows = " | ".join(" / ".join([p["title"], *p["lines"]]) for p in content["pages"])
        status = await request.app[PANEL_STATUS].status(panel.id)
        device = devices.get(panel.id)
        if device is not None:  # a real sign does not poll: it is online when it answers the engine
            status = {**status, "online": device["state"] in ("ok", "error")}
        panels.append({"id": panel.id, "name": panel.name, "place": panel.place, "lane": content["lane"],
                       "kiosk": config.profiles[panel.profile].kind is ProfileKind.KIOSK,
                       "shows": shows, "status": status, "ntcip": device is not None, "device": device})
    feeds_update = await request.app[HUB].latest(FEEDS_TOPIC)
    feeds = feeds_update.data["feeds"] if feeds_update else []
    return page(request, "admin/control_room.html.j2", title="Salle de contrôle", staff=staff, csrf=csrf,
                panels=panels, feeds=feeds, map=map_attributes(config.panels.values(), request.app[SETTINGS],
                                                                 {p["id"]: p["status"] for p in panels}),
                feed_states={"silent": "sans nouvelles", "error": "en erreur"})


@routes.get("/api/v1/admin/whoami")
async def whoami(request: web.Request) -> web.Response:
    staff = await staff_for_api(request, "viewer")
    return web.json_response({"username": staff.username, "role": staff.role})


@routes.get("/api/v1/admin/accounts")
async def accounts(request: web.Request) -> web.Response:
    await staff_for_api(request, "admin")
    return web.json_response({"accounts": [{"username": s.username, "role": s.role}
                                           for s in await request.app[STAFF].accounts()]})


@routes.post("/api/v1/admin/accounts")
async def set_account(request: web.Request) -> web.Response:
    """Create an account or change its role and password (admins only); the password is never logged."""
    admin = await staff_for_api(request, "admin")
    await browser_csrf(request)
    body = await read_json(request, 4096)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("username", "role", "password")):
        raise json_error(web.HTTPBadRequest, "bad_account", "give username, role and password")
    try:
        staff = await request.app[STAFF].add(body["username"], body["role"], body["password"], actor=admin.username)
    except (StaffProblem, ValueError) as exc:
        raise json_error(web.HTTPBadRequest, "bad_account", str(exc)) from exc
    except HashingBusy as exc:
        raise json_error(web.HTTPServiceUnavailable, "busy", "too many passwords being checked; retry") from exc
    return web.json_response({"username": staff.username, "role": staff.role}, status=201)


MAX_PREVIEW_BYTES = 32 * 1024


@routes.post("/api/v1/admin/preview")
async def preview(request: web.Request) -> web.Response:
    """A template as every kind of panel and a phone would show it, with a warning for each sign it does not
    fit: what the console shows while staff type. Nothing here reaches the street."""
    staff = await staff_for_api(request, "editor")
    await browser_csrf(request)
    body = await read_json(request, MAX_PREVIEW_BYTES)
    setting = PreviewSetting.of(request.app[CONFIG].current)
    result = await in_preview_worker(request, staff, render_preview, setting, body)
    return web.json_response({**result, "by": staff.username})


async def in_preview_worker(request: web.Request, staff: Staff, function: Callable[..., T], *args: Any) -> T:
    """Run what a staff member typed in a preview worker: one at a time per person (the editor sends one on
    every pause in typing), 400 for a template at fault, 503 when the workers are busy or the job overran."""
    previewing = request.app[PREVIEWING]
    if staff.username in previewing:
        raise json_error(web.HTTPTooManyRequests, "preview_in_progress",
                         "a preview of yours is still being made; send the next one when it is back")
    previewing.add(staff.username)
    try:
        return await request.app[PREVIEWS].run(function, *args)
    except PreviewFailed as exc:
        raise json_error(web.HTTPBadRequest, "bad_template", str(exc)) from exc
    except PreviewTimeout as exc:
        deadline = request.app[PREVIEWS].deadline_s
        raise json_error(web.HTTPBadRequest, "bad_template",
                         f"the template took longer than {deadline:g} s to render and was stopped") from exc
    except PreviewBusy as exc:
        error = json_error(web.HTTPServiceUnavailable, "previews_busy", "previews are busy; try again in a moment")
        error.headers["Retry-After"] = "2"
        raise error from exc
    finally:
        previewing.discard(staff.username)


@routes.get("/api/v1/admin/audit")
async def audit(request: web.Request) -> web.Response:
    """Every change and broadcast: who, when, what, newest first; ``q`` searches actor, action and target."""
    await staff_for_api(request, "approver")
    try:
        limit = max(1, min(500, int(request.query.get("limit", "100"))))
    except ValueError:
        limit = 100
    query = request.query.get("q") or None
    return web.json_response({"entries": await request.app[STORE].audit(limit, query[:100] if query else None)})


async def signed_in(request: web.Request, role: str) -> tuple[Staff, str]:
    """The signed-in staff member and the session's CSRF token, for a console page; to the sign-in page
    otherwise, 403 without the role."""
    session = await _session(request)
    if session is None:
        raise web.HTTPSeeOther("/admin/login")
    if not session[0].can(role):  # a page, in words, with the way back: staff opened a link, not an API
        raise web.HTTPForbidden(text=page(request, "admin/forbidden.html.j2", status=403, title="Accès refusé",
                                          staff=session[0], csrf=session[1], needed=role).text,
                                content_type="text/html", headers={"Cache-Control": "no-store"})
    return session
