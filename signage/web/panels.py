"""Panel delivery over HTTP: the list of panels, content polls with ETag/304 and long polls, the kiosk page."""

from __future__ import annotations

import asyncio
import contextlib
import math
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from channels.ntcip_signs import DEVICE_STATUS
from renderers.kiosk import render_kiosk_page, render_static_page
from renderers.pictogram_svg import pictogram_svg
from renderers.pictograms import pictogram_by_name
from renderers.preview import panel_preview_png
from signage.config import Config
from signage.model import Panel, ProfileKind
from signage.pipeline.panel_board import default_content
from signage.protocol import EXPLAIN_PREFIX
from signage.safe_json import JsonProblem, loads
from signage.tasks import cancel_and_wait
from signage.timeutil import format_instant, parse_instant
from signage.tokens import Grant
from signage.web.connection_limits import refusal_error
from signage.web.errors import json_error, read_json
from signage.web.keys import (
    ADDRESSES,
    BUS,
    CONFIG,
    HUB,
    METRICS,
    PANEL_STATUS,
    PANEL_STREAMS,
    PANEL_TOKENS,
    RENDERS,
    SETTINGS,
    SOCKETS,
    STORE,
)

__all__ = ["current_content", "explanation", "routes"]

routes = web.RouteTableDef()
FORMATS = ("json", "multi", "html", "png")


async def current_content(request: web.Request, panel_id: str) -> dict[str, Any]:
    """What the panel shows now; before the engine has said anything, its default (a panel is never blank)."""
    update = await request.app[HUB].latest(f"panel/{panel_id}")
    if update is not None:
        data: dict[str, Any] = update.data  # shared with every poll of this panel: read, never changed
        return data
    return default_content(request.app[CONFIG].current, panel_id, "engine not reached yet: default")


def presented_token(request: web.Request) -> str | None:
    """``Authorization: Bearer <token>``, or ``?token=`` for clients that cannot set headers (a WebSocket
    opened by a browser). Never logged: access logs are off and errors do not echo it."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    return request.query.get("token") or None


def _panel_or_404(request: web.Request) -> str:
    panel_id = request.match_info["panel_id"]
    if panel_id not in request.app[CONFIG].current.panels:
        raise json_error(web.HTTPNotFound, "unknown_panel", f"no panel {panel_id[:100]!r}")
    return panel_id


def _not_modified(request: web.Request) -> web.Response | None:
    """The poll that most panels make most of the time, answered with as little work as possible: a plain
    ``If-None-Match`` naming what the panel already shows. Anything else goes the full way."""
    query = request.query_string
    if not query:
        fmt = "json"
    elif query.startswith("format=") and "&" not in query:
        fmt = query[7:]
        if fmt not in FORMATS:
            return None
    else:
        return None
    headers = request.headers
    if "Authorization" in headers:
        return None
    panel_id = request.match_info["panel_id"]
    app = request.app
    if panel_id not in app[CONFIG].current.panels:
        return None
    update = app[HUB].peek("panel/" + panel_id)
    if update is None:
        return None
    etag = f'"{update.data["etag"]}-{fmt}"'
    if headers.get("If-None-Match") != etag:
        return None
    app[METRICS].panel_request(fmt, "304")
    return web.Response(status=304, headers={"ETag": etag, "Cache-Control": "no-cache"})


async def authenticated(request: web.Request, panel_id: str, required: bool) -> Grant | None:
    """The grant of this panel's token the request carries; 401 for a wrong one, or for none when ``required``.
    Without a token a request is a viewer's (what panels show is public), not the panel's."""
    token = presented_token(request)
    if token is None and not required:
        return None
    grant = await request.app[PANEL_TOKENS].check(panel_id, token)
    if grant is None:
        raise json_error(web.HTTPUnauthorized, "bad_token" if token else "token_required",
                         f"this needs panel {panel_id}'s token (Authorization: Bearer …)")
    return grant


def _etag(content: dict[str, Any], fmt: str) -> str:
    return f'"{content["etag"]}-{fmt}"'


def _matches(request: web.Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return any(candidate.strip() in (etag, f"W/{etag}", "*") for candidate in header.split(","))


@routes.get("/api/v1/panels/{panel_id}/content")
async def panel_content(request: web.Request) -> web.StreamResponse:
    fast = _not_modified(request)
    if fast is not None:
        return fast
    panel_id = _panel_or_404(request)
    config, metrics, settings = request.app[CONFIG].current, request.app[METRICS], request.app[SETTINGS]
    query = request.query
    fmt = query.get("format", "json")
    if fmt not in FORMATS:
        metrics.panel_request("invalid", "400")
        raise json_error(web.HTTPBadRequest, "bad_format", f"format must be one of {', '.join(FORMATS)}")
    if ("Authorization" in request.headers or "token" in query) and (
            grant := await authenticated(request, panel_id, required=False)) is not None:
        await request.app[PANEL_STATUS].seen(panel_id, "poll", grant.digest)
    kind = config.profiles[config.panels[panel_id].profile].kind
    if fmt == "multi" and kind is ProfileKind.KIOSK:
        metrics.panel_request(fmt, "406")
        raise json_error(web.HTTPNotAcceptable, "format_unavailable", "a kiosk has no MULTI content")
    wait = 0.0
    if "wait" in query:
        try:
            wait = float(query["wait"])
        except ValueError:
            wait = math.nan
        if not 0 <= wait <= settings.long_poll_max_s:
            raise json_error(web.HTTPBadRequest, "bad_wait",
                             f"wait must be a number of seconds from 0 to {settings.long_poll_max_s:g}")
    content = await current_content(request, panel_id)
    if wait > 0 and _matches(request, _etag(content, fmt)):
        # Long poll: answer as soon as the content changes, or 304 when nothing did within ``wait``. A held
        # poll is an open connection like a WebSocket: it counts against the same per-address budget.
        slots, address = request.app[ADDRESSES], request.remote or "?"
        refusal = slots.take(address)
        if refusal is not None:
            error = refusal_error(refusal, settings.ws_max_per_address)
            metrics.panel_request(fmt, str(error.status))
            raise error
        try:
            await request.app[HUB].wait_change(f"panel/{panel_id}", wait)
        finally:
            slots.release(address)
        content = await current_content(request, panel_id)
    etag = _etag(content, fmt)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request, etag):
        metrics.panel_request(fmt, "304")
        return web.Response(status=304, headers=headers)
    metrics.panel_request(fmt, "200")
    if fmt == "multi":
        return web.Response(text=content["multi"], content_type="text/plain", charset="utf-8", headers=headers)
    if fmt == "html":
        return web.Response(text=render_static_page(content), content_type="text/html", charset="utf-8",
                            headers=headers)
    if fmt == "png":
        return web.Response(body=await _preview(request, content), content_type="image/png", headers=headers)
    return web.json_response(content, headers=headers)


def panel_facts(config: Config, panel: Panel) -> dict[str, Any]:
    """What anyone may know of a panel: where it is and what kind of sign it is."""
    return {"id": panel.id, "name": panel.name, "place": panel.place, "lat": panel.lat, "lon": panel.lon,
            "zone": panel.zone, "kind": config.profiles[panel.profile].kind.value, "language": panel.language}


@routes.get("/api/v1/panels")
async def list_panels(request: web.Request) -> web.Response:
    config = request.app[CONFIG].current
    devices = await panel_devices(request)
    panels = []
    for panel in config.panels.values():
        content = await current_content(request, panel.id)
        entry = {
            **panel_facts(config, panel), "tags": list(panel.tags), "profile": panel.profile,
            "content": {"etag": content["etag"], "lane": content["lane"], "updated_at": content.get("updated_at"),
                        "url": f"/api/v1/panels/{panel.id}/content"},
            "status": await request.app[PANEL_STATUS].status(panel.id),
        }
        if panel.id in devices:
            entry["device"] = devices[panel.id]
        panels.append(entry)
    return web.json_response({"panels": panels})


async def panel_devices(request: web.Request) -> dict[str, dict[str, Any]]:
    """The health of every panel's real sign (panels with an ``ntcip`` block), as anyone may read it."""
    config = request.app[CONFIG].current
    signs = [panel.id for panel in config.panels.values() if panel.ntcip is not None]
    docs = await request.app[STORE].get_many(DEVICE_STATUS, signs)
    return {panel_id: public_device(docs.get(panel_id)) for panel_id in signs}


def public_device(doc: dict[str, Any] | None) -> dict[str, Any]:
    """A sign's health as anyone may read it: not its network address nor its make-up (those are for staff)."""
    if doc is None:
        return {"state": "pending", "error": None, "shows_crc": None}
    return {k: v for k, v in doc.items() if k not in ("address", "capabilities", "panel")}


async def _preview(request: web.Request, content: dict[str, Any]) -> bytes:
    """The PNG of a content document, rendered off the event loop and cached by what the panel shows."""
    config = request.app[CONFIG].current
    profile = config.profiles[config.panels[content["panel"]].profile]
    key = (content["etag"], profile)
    cache = request.app[RENDERS]
    cached = cache.get(key)
    if cached is None:
        cached = await asyncio.to_thread(panel_preview_png, content, profile)
        cache.put(key, cached)
    return cached


@routes.get("/api/v1/panels/{panel_id}/preview.png")
async def panel_preview(request: web.Request) -> web.Response:
    """What the panel shows now, as a picture: for the control room, and for anyone checking a sign remotely."""
    content = await current_content(request, _panel_or_404(request))
    etag = _etag(content, "png")
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request, etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=await _preview(request, content), content_type="image/png", headers=headers)


MAX_RECEIPT_BYTES = 4096


async def _receipt(request: web.Request, panel_id: str, etag: object, via: str, grant: Grant) -> dict[str, Any]:
    if not isinstance(etag, str) or not 0 < len(etag) <= 64:
        raise json_error(web.HTTPBadRequest, "bad_receipt", "etag: the etag of the content the panel displays")
    current = await current_content(request, panel_id)
    return await request.app[PANEL_STATUS].receipt(panel_id, etag.strip('"').split("-")[0], current, via,
                                                   grant.digest)


@routes.post("/api/v1/panels/{panel_id}/receipts")
async def panel_receipt(request: web.Request) -> web.Response:
    """Proof of display: the panel says what it shows; the answer says whether that is what it was sent."""
    panel_id = _panel_or_404(request)
    grant = await authenticated(request, panel_id, required=True)
    assert grant is not None
    body = await read_json(request, MAX_RECEIPT_BYTES)
    etag = body.get("etag") if isinstance(body, dict) else None
    return web.json_response(await _receipt(request, panel_id, etag, "receipt", grant))


CLOSE_TOKEN_REVOKED = 4001  # the panel's token was revoked or rotated away: connect again with the new one


class _PanelStream:
    """One open panel stream, known to ``PanelStreams`` so that a revocation closes it."""

    __slots__ = ("panel_id", "request", "token", "ws")

    def __init__(self, request: web.Request, panel_id: str, token: str, ws: web.WebSocketResponse) -> None:
        self.request, self.panel_id, self.token, self.ws = request, panel_id, token, ws

    async def recheck(self) -> None:
        if await self.request.app[PANEL_TOKENS].check(self.panel_id, self.token, fresh=True) is None:
            await self.ws.close(code=CLOSE_TOKEN_REVOKED, message=b"this panel's token is no longer valid")


@routes.get("/api/v1/panels/{panel_id}/stream")
async def panel_stream(request: web.Request) -> web.StreamResponse:
    """A WebSocket for one panel: the content itself on connect and on every change (not a nudge to poll),
    heartbeats both ways, receipts back. Revoking the panel's token closes it (4001) within a second or two."""
    panel_id = _panel_or_404(request)
    grant = await authenticated(request, panel_id, required=True)
    assert grant is not None
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "multi"):
        raise json_error(web.HTTPBadRequest, "bad_format", "format must be json or multi")
    app = request.app
    settings, hub, status, tokens = app[SETTINGS], app[HUB], app[PANEL_STATUS], app[PANEL_TOKENS]
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_s, max_msg_size=MAX_RECEIPT_BYTES)
    await ws.prepare(request)
    stream = _PanelStream(request, panel_id, presented_token(request) or "", ws)
    app[PANEL_STREAMS].add(stream)
    topic = f"panel/{panel_id}"
    changed: asyncio.Queue[None] = asyncio.Queue(maxsize=1)

    class Nudge:
        def offer(self, update: Any) -> None:
            with contextlib.suppress(asyncio.QueueFull):  # one pending nudge is enough: the latest is sent
                changed.put_nowait(None)

    async def push_content() -> None:
        sent = ""
        while True:
            content = await current_content(request, panel_id)
            if content["etag"] != sent:
                sent = content["etag"]
                body = content["multi"] if fmt == "multi" and "multi" in content else content
                await ws.send_json({"type": "content", "etag": sent, "format": fmt, "content": body})
            await changed.get()

    nudge = Nudge()
    hub.add(topic, nudge)
    pusher = asyncio.create_task(push_content(), name=f"panel-stream {panel_id}")
    app[SOCKETS].add(ws)
    try:
        await status.seen(panel_id, "stream", grant.digest)  # inside: a Store that fails leaves nothing behind
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                frame = loads(message.data)
            except JsonProblem as exc:
                await ws.send_json({"type": "error", "code": "bad_json", "message": f"the frame is not JSON: {exc}"})
                continue
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind in ("heartbeat", "receipt") and (grant := await tokens.check(panel_id, stream.token)) is None:
                break  # revoked since the stream opened: nothing more from this panel counts
            if kind == "heartbeat":
                await status.seen(panel_id, "stream", grant.digest)
                await ws.send_json({"type": "heartbeat"})
            elif kind == "receipt":
                try:
                    await ws.send_json({"type": "receipt", **await _receipt(request, panel_id, frame.get("etag"),
                                                                            "stream", grant)})
                except web.HTTPBadRequest:
                    await ws.send_json({"type": "error", "code": "bad_receipt", "message": "etag is needed"})
            else:
                await ws.send_json({"type": "error", "code": "unknown_type",
                                    "message": "type must be heartbeat or receipt"})
    finally:
        app[SOCKETS].discard(ws)
        app[PANEL_STREAMS].discard(stream)
        hub.remove(topic, nudge)
        await cancel_and_wait(pusher)
        if not ws.closed:
            await ws.close(code=CLOSE_TOKEN_REVOKED, message=b"this panel's token is no longer valid")
    return ws


@routes.get("/kiosk/{panel_id}")
async def kiosk_page(request: web.Request) -> web.Response:
    panel_id = _panel_or_404(request)
    content = await current_content(request, panel_id)
    page = render_kiosk_page(content, request.app[CONFIG].current.timezone)
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"})


async def explanation(request: web.Request, panel_id: str) -> dict[str, Any] | None:
    """The panel's "why" as the engine last published it, with the values' ages as of now; None while the
    engine has not explained it yet. Read from the bus in every process, the engine's own included: one way,
    never from the pipeline outside the engine's lock."""
    update = await request.app[BUS].latest(EXPLAIN_PREFIX + panel_id)
    if update is None:
        return None
    now = datetime.now(UTC)
    values = []
    for value in update.data["values"]:
        if "observed_at" in value:
            age = max(0.0, (now - parse_instant(value["observed_at"])).total_seconds())
            value = {**value, "age_s": round(age, 3), "stale": age >= value["max_age_s"]}
        values.append(value)
    return {**update.data, "values": values, "at": format_instant(now)}


@routes.get("/pictograms/{name}.svg")
async def pictogram(request: web.Request) -> web.Response:
    """A pictogram the signs draw, as kiosks and the console show it."""
    drawn = pictogram_by_name(request.match_info["name"][:40])
    if drawn is None:
        raise json_error(web.HTTPNotFound, "unknown_pictogram", "no such pictogram")
    return web.Response(text=pictogram_svg(drawn), content_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@routes.get("/api/v1/panels/{panel_id}/explain")
async def panel_explain(request: web.Request) -> web.Response:
    """Why the panel shows what it shows: winner, competition, rules with reasons, values with age and source."""
    panel_id = _panel_or_404(request)
    document = await explanation(request, panel_id)
    if document is None:
        raise json_error(web.HTTPServiceUnavailable, "engine_not_ready",
                         "the engine has not explained this panel yet; retry in a second")
    if request.app[CONFIG].current.panels[panel_id].ntcip is not None:
        # What the street sees depends on the sign too: a refused or unreachable sign is part of the answer.
        document["device"] = public_device(await request.app[STORE].get(DEVICE_STATUS, panel_id))
    return web.json_response(document)
