"""Operations endpoints: health, readiness, metrics, feed health."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from signage.protocol import FEEDS_TOPIC
from signage.web.errors import json_error
from signage.web.keys import BUS, CONFIG, ENGINE, LEADERSHIP, METRICS, STORE

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
