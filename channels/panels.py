"""Panel delivery over HTTP: the list of panels, content polls with ETag/304 and long polls, the kiosk page."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from renderers.kiosk import render_kiosk_page, render_static_page
from renderers.panel_content import render_panel_content
from renderers.preview import panel_preview_png
from signage.board import Decision
from signage.engine import EXPLAIN_PREFIX
from signage.model import Lane, ProfileKind
from signage.pipeline import Pipeline
from signage.timeutil import format_instant, parse_instant
from signage.web.errors import json_error
from signage.web.keys import BUS, CONFIG, ENGINE, HUB, METRICS, RENDERS, SETTINGS

__all__ = ["routes"]

routes = web.RouteTableDef()
FORMATS = ("json", "multi", "html", "png")


async def current_content(request: web.Request, panel_id: str) -> dict[str, Any]:
    """What the panel shows now; before the engine has said anything, its default (a panel is never blank)."""
    update = await request.app[HUB].latest(f"panel/{panel_id}")
    if update is not None:
        return dict(update.data)
    config = request.app[CONFIG].current
    panel = config.panels[panel_id]
    default = Pipeline.default_message_for(config, panel_id)
    decision = Decision(panel_id, (default,), Lane.DEFAULT, "engine not reached yet: default", ())
    return render_panel_content(panel, config.profiles[panel.profile], decision,
                                lambda message, language: config.templates.render(message.template, message.params,
                                                                                  language))


def _panel_or_404(request: web.Request) -> str:
    panel_id = request.match_info["panel_id"]
    if panel_id not in request.app[CONFIG].current.panels:
        raise json_error(web.HTTPNotFound, "unknown_panel", f"no panel {panel_id[:100]!r}")
    return panel_id


@routes.get("/api/v1/panels")
async def list_panels(request: web.Request) -> web.Response:
    config = request.app[CONFIG].current
    panels = []
    for panel in config.panels.values():
        content = await current_content(request, panel.id)
        panels.append({
            "id": panel.id, "name": panel.name, "place": panel.place, "lat": panel.lat, "lon": panel.lon,
            "zone": panel.zone, "tags": list(panel.tags), "profile": panel.profile,
            "kind": config.profiles[panel.profile].kind.value, "language": panel.language,
            "content": {"etag": content["etag"], "lane": content["lane"], "updated_at": content.get("updated_at"),
                        "url": f"/api/v1/panels/{panel.id}/content"},
        })
    return web.json_response({"panels": panels})


def _etag(content: dict[str, Any], fmt: str) -> str:
    return f'"{content["etag"]}-{fmt}"'


def _matches(request: web.Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return any(candidate.strip() in (etag, f"W/{etag}", "*") for candidate in header.split(","))


@routes.get("/api/v1/panels/{panel_id}/content")
async def panel_content(request: web.Request) -> web.StreamResponse:
    panel_id = _panel_or_404(request)
    config, metrics, settings = request.app[CONFIG].current, request.app[METRICS], request.app[SETTINGS]
    fmt = request.query.get("format", "json")
    if fmt not in FORMATS:
        metrics.panel_requests.labels(format="invalid", status="400").inc()
        raise json_error(web.HTTPBadRequest, "bad_format", f"format must be one of {', '.join(FORMATS)}")
    kind = config.profiles[config.panels[panel_id].profile].kind
    if fmt == "multi" and kind is ProfileKind.KIOSK:
        metrics.panel_requests.labels(format=fmt, status="406").inc()
        raise json_error(web.HTTPNotAcceptable, "format_unavailable", "a kiosk has no MULTI content")
    wait = 0.0
    if "wait" in request.query:
        try:
            wait = float(request.query["wait"])
        except ValueError:
            wait = math.nan
        if not 0 <= wait <= settings.long_poll_max_s:
            raise json_error(web.HTTPBadRequest, "bad_wait",
                             f"wait must be a number of seconds from 0 to {settings.long_poll_max_s:g}")
    content = await current_content(request, panel_id)
    if wait > 0 and _matches(request, _etag(content, fmt)):
        # Long poll: answer as soon as the content changes, or 304 when nothing did within ``wait``.
        await request.app[HUB].wait_change(f"panel/{panel_id}", wait)
        content = await current_content(request, panel_id)
    etag = _etag(content, fmt)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request, etag):
        metrics.panel_requests.labels(format=fmt, status="304").inc()
        return web.Response(status=304, headers=headers)
    metrics.panel_requests.labels(format=fmt, status="200").inc()
    if fmt == "multi":
        return web.Response(text=content["multi"], content_type="text/plain", charset="utf-8", headers=headers)
    if fmt == "html":
        return web.Response(text=render_static_page(content), content_type="text/html", charset="utf-8",
                            headers=headers)
    if fmt == "png":
        return web.Response(body=await _preview(request, content), content_type="image/png", headers=headers)
    return web.json_response(content, headers=headers)


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


@routes.get("/kiosk/{panel_id}")
async def kiosk_page(request: web.Request) -> web.Response:
    panel_id = _panel_or_404(request)
    content = await current_content(request, panel_id)
    return web.Response(text=render_kiosk_page(content), content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


@routes.get("/api/v1/panels/{panel_id}/explain")
async def panel_explain(request: web.Request) -> web.Response:
    """Why the panel shows what it shows: winner, competition, rules with reasons, values with age and source."""
    panel_id = _panel_or_404(request)
    now = datetime.now(UTC)
    if ENGINE in request.app:  # one process: ask the pipeline itself
        return web.json_response(request.app[ENGINE].pipeline.explain(panel_id, now))
    update = await request.app[BUS].latest(EXPLAIN_PREFIX + panel_id)
    if update is None:
        raise json_error(web.HTTPServiceUnavailable, "engine_not_ready",
                         "the engine has not explained this panel yet; retry in a second")
    document = dict(update.data)
    for value in document["values"]:
        if "observed_at" in value:
            age = max(0.0, (now - parse_instant(value["observed_at"])).total_seconds())
            value["age_s"] = round(age, 3)
            value["stale"] = age >= value["max_age_s"]
    return web.json_response({**document, "at": format_instant(now)})
