"""Operations endpoints: health, readiness, metrics, feed health, and a plain page about the server."""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from signage.protocol import FEEDS_TOPIC
from signage.web.errors import json_error
from signage.web.interface_words import interface_word
from signage.web.keys import BUS, CONFIG, ENGINE, LEADERSHIP, METRICS, SETTINGS, STORE

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    app = request.app
    checks = {"bus": await app[BUS].ping(), "store": await app[STORE].ping()}
    answer: dict[str, Any] = {}
    if ENGINE in app:
        # A standby is ready to take over: its checks are the bus and the store.
        role = answer["engine"] = app[LEADERSHIP].role
        checks["engine"] = role == "standby" or app[ENGINE].started.is_set()
    ready = all(checks.values())
    live = app[CONFIG]
    config = {"version": live.version, "errors": live.errors}  # a rejected edit leaves the old one running
    return web.json_response({"status": "ready" if ready else "not_ready", **answer, "checks": checks,
                              "config": config}, status=200 if ready else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.get("/api/v1/feeds")
async def feeds(request: web.Request) -> web.Response:
    """Each feed's health: last success, last error, lag, rate, and the keys it holds that went stale."""
    if ENGINE in request.app:
        return web.json_response({"feeds": request.app[ENGINE].feed_report()})
    update = await request.app[BUS].latest(FEEDS_TOPIC)
    if update is None:
        raise json_error(web.HTTPServiceUnavailable, "engine_not_ready", "the engine has not reported yet")
    return web.json_response(update.data)


@routes.get("/about")
async def index(request: web.Request) -> web.Response:
    """A plain page listing the panels and the endpoints, for people who open the server's address."""
    config = request.app[CONFIG].current
    settings = request.app[SETTINGS]
    items = "".join(
        f'<li><a href="/kiosk/{escape(p.id)}">{escape(p.name)}</a> ({escape(p.profile)}) — '
        f'<a href="/api/v1/panels/{escape(p.id)}/content">JSON</a></li>'
        for p in config.panels.values()
    )
    language = config.languages[0]
    page = (f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            f'<title>{escape(config.city)}</title></head><body><h1>{escape(config.city)}</h1>'
            f'<p>Role: {escape(settings.role)}</p><h2>{interface_word(language, "panels")}</h2>'
            f'<ul>{items}</ul><p><a href="/api/v1/panels">/api/v1/panels</a> · '
            f'<a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></p></body></html>')
    return web.Response(text=page, content_type="text/html", charset="utf-8")
