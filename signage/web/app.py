"""``create_app(settings)``: the one aiohttp application, for every role, with every lifetime in cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import WSCloseCode, web

from channels.address_slots import AddressSlots, process_connection_limit
from channels.hub import Hub
from channels.ntcip_signs import NtcipSigns
from channels.panel_status import PanelStatus
from channels.pixel_stream import PixelStreamer
from channels.push_sender import PushSender
from channels.push_subscriptions import SubscriptionStore
from channels.push_worker import PushWorker
from renderers.cache import RenderCache
from signage.bus import Fenced, HistoryLost, open_bus
from signage.collector_pauses import watch_pauses
from signage.config import Config, load_config
from signage.demo.simulator import Simulator
from signage.demo.street_panels import StreetPanels
from signage.demo.summary import every_minute
from signage.engine import Engine
from signage.feed_auth import receives_deliveries
from signage.feed_runners import fetched_by_the_engine, runner_for
from signage.ingest import Intake
from signage.keyed_tasks import KeyedTasks
from signage.leadership import Leadership
from signage.loop_watch import watch_loop
from signage.metrics import Metrics
from signage.model import FeedConfig, ProfileKind
from signage.settings import Settings
from signage.store import open_store
from signage.tasks import cancel_and_wait
from signage.tokens import FeedTokens, PanelTokens
from signage.web.api import routes as api_routes
from signage.web.broadcasts import routes as broadcast_routes
from signage.web.citizen_app import routes as citizen_app_routes
from signage.web.console import routes as console_routes
from signage.web.console_pages import routes as console_page_routes
from signage.web.edge import edge_middleware
from signage.web.errors import UNAVAILABLE, json_error
from signage.web.feed_delivery import routes as feed_delivery_routes
from signage.web.keys import (
    ADDRESSES,
    BUS,
    CONFIG,
    DEMO_PANEL_TOKENS,
    DEMO_TOKENS,
    ENGINE,
    FEED_TOKENS,
    HTTP,
    HUB,
    INTAKE,
    JOBS,
    LEADERSHIP,
    LOGIN_LIMITS,
    METRICS,
    OPEN_LIMITS,
    PANEL_STATUS,
    PANEL_STREAMS,
    PANEL_TOKENS,
    PREVIEWING,
    PREVIEWS,
    PUSH_LIMITS,
    PUSH_WORKERS,
    RENDERS,
    RUNNERS,
    SETTINGS,
    SIGNS,
    SOCKETS,
    STAFF,
    STORE,
    STREAMER,
    SUBSCRIPTIONS,
)
from signage.web.live_config import LiveConfig
from signage.web.login_throttle import LoginThrottle
from signage.web.map_files import routes as map_file_routes
from signage.web.open_alerts import routes as open_alert_routes
from signage.web.open_data import routes as open_data_routes
from signage.web.openapi import routes as openapi_routes
from signage.web.panel_streams import PanelStreams
from signage.web.panels import routes as panel_routes
from signage.web.preview_pool import PreviewPool
from signage.web.public_pages import routes as public_page_routes
from signage.web.push_api import routes as push_routes
from signage.web.push_api import vapid_keys
from signage.web.rate_limit import RateLimiter
from signage.web.security_headers import security_headers
from signage.web.sse import routes as sse_routes
from signage.web.staff_auth import StaffAccounts
from signage.web.template_admin import routes as template_admin_routes
from signage.web.websocket import websocket_handler
from signage.work_queue import open_work_queue

__all__ = ["create_app"]

log = logging.getLogger("signage.app")
TOKEN_WATCH_S = 1.0  # how often a web process looks for tokens issued or revoked by the command line
STATIC_FILES = {"kiosk.css": "text/css", "kiosk.js": "text/javascript", "app.css": "text/css", "admin.css": "text/css",
                "admin.js": "text/javascript", "reconnect.js": "text/javascript",
                "app.js": "text/javascript", "icon.svg": "image/svg+xml", "icon-192.png": "image/png",
                "icon-512.png": "image/png", "public.css": "text/css"}


RESTART_FIRST_S, RESTART_MAX_S = 0.25, 2.0  # a loop crashed by an outage is back within 2 s of its end
RAN_WELL_S = 10.0  # a loop that ran this long before failing starts again from the first delay


async def _supervised(name: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run a background loop for the life of the app; a crash is logged and the loop restarts, after a delay
    that grows while it keeps failing and starts small again once it has run well."""
    delay = RESTART_FIRST_S
    while True:
        started = time.monotonic()
        try:
            await work()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if time.monotonic() - started >= RAN_WELL_S:
                delay = RESTART_FIRST_S
            if isinstance(exc, (*UNAVAILABLE, HistoryLost, Fenced)):  # an outage, a lost lease: one line each
                log.error("%s: %s (%s); restarting in %.2f s", name, type(exc).__name__, exc, delay)
            else:
                log.exception("%s failed; restarting in %.2f s", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_MAX_S)


@contextlib.asynccontextmanager
async def _background(name: str, work: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    task = asyncio.create_task(_supervised(name, work), name=name)
    try:
        yield
    finally:
        await cancel_and_wait(task)


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[BUS] = open_bus(settings.redis_url, settings.redis_prefix, settings.bus_history)
    app[STORE] = open_store(settings.redis_url, settings.sqlite_path, settings.redis_prefix)
    app[HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    app[INTAKE] = Intake(app[BUS], app[STORE], app[METRICS], settings.ingest_backlog_limit)
    app[JOBS] = open_work_queue(settings.redis_url, settings.redis_prefix, settings.push_reclaim_s)
    app[SUBSCRIPTIONS] = SubscriptionStore(app[STORE])
    app[PANEL_TOKENS] = PanelTokens(app[STORE])
    app[FEED_TOKENS] = FeedTokens(app[STORE])
    app[PANEL_STATUS] = PanelStatus(app[STORE], app[PANEL_TOKENS], offline_after_s=settings.panel_offline_after_s)
    app[STAFF] = StaffAccounts(app[STORE])
    app[METRICS].push_subscriptions.set(await app[SUBSCRIPTIONS].count())  # held since before this start
    pauses = app[METRICS].gc_pause
    unwatch = watch_pauses(lambda generation, seconds: pauses.labels(generation=str(generation)).observe(seconds))
    try:
        async with _background("loop-watch", lambda: watch_loop(app[METRICS].loop_lag.observe)):
            yield
    finally:
        unwatch()
        app[STAFF].close()
        await app[JOBS].close()
        await app[HTTP].close()
        await app[STORE].close()  # flushes the SQLite file
        await app[BUS].close()


async def _feed_access(app: web.Application) -> AsyncIterator[None]:
    """Say at start which feeds take deliveries from anyone, or cannot take any yet; report refusals to the
    feeds' health every few seconds; forget remembered tokens when one is revoked anywhere."""
    for feed in app[CONFIG].current.feeds.values():
        if not receives_deliveries(feed):
            continue
        if feed.options.get("allow_anonymous") is True:
            log.warning("feed %s accepts deliveries from anyone (allow_anonymous: true)", feed.id)
        elif feed.options.get("auth") == "token" and not await app[FEED_TOKENS].has_tokens(feed.id):
            log.warning("feed %s has no token yet: deliveries are refused until 'signage feeds token %s'",
                        feed.id, feed.id)

    async def upkeep() -> None:
        feed_tokens, panel_tokens = app[FEED_TOKENS], app[PANEL_TOKENS]
        seen = {"feed": await feed_tokens.revision(), "panel": await panel_tokens.revision()}
        while True:
            await asyncio.sleep(TOKEN_WATCH_S)
            await app[INTAKE].report_refusals()
            if (revision := await feed_tokens.revision()) != seen["feed"]:
                seen["feed"] = revision
                feed_tokens.forget()
            if (revision := await panel_tokens.revision()) != seen["panel"]:
                seen["panel"] = revision
                panel_tokens.forget()
                await app[PANEL_STREAMS].recheck()  # a revoked panel's open streams close now

    async with _background("edge-upkeep", upkeep):
        yield


async def _dead_letter_retention(app: web.Application) -> AsyncIterator[None]:
    """Hourly, in the leading engine's process: drop the dead letters past their feed's retention."""
    async def prune() -> None:
        while True:
            await app[INTAKE].prune_letters(app[CONFIG].current.feeds, datetime.now(UTC))
            await asyncio.sleep(3600)

    async with _background("dead-letters", lambda: app[LEADERSHIP].while_leading(prune)):
        yield


async def _previews(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[PREVIEWS] = PreviewPool(settings.preview_workers, settings.preview_deadline_s)
    app[PREVIEWING] = set()
    try:
        yield
    finally:
        await app[PREVIEWS].close()


async def _hub(app: web.Application) -> AsyncIterator[None]:
    app[HUB] = Hub(app[BUS])
    async with _background("hub", app[HUB].run):
        yield


async def _engine(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # Push jobs are queued only if someone will take them: workers here, or in other processes sharing the queue.
    sends_push = app[JOBS].shared or (settings.runs_push and vapid_keys(app) is not None)
    leadership = app[LEADERSHIP] = Leadership(settings.redis_url, settings.redis_prefix, settings.engine_lease_s)
    app[ENGINE] = Engine(app[CONFIG].current, app[BUS], app[METRICS],
                         jobs=app[JOBS] if sends_push else None, store=app[STORE], fence=leadership.fence,
                         leading=lambda: leadership.leading)
    app[CONFIG].on_change(app[ENGINE].reload)
    # Only the leader runs the engine; a standby keeps its configuration loaded and takes over from the
    # checkpoint when the lease lapses.
    try:
        async with _background("engine-lease", leadership.run), \
                _background("engine", lambda: leadership.while_leading(app[ENGINE].run)):
            yield
    finally:
        await leadership.close()  # after the lease is released


async def _pixel_streams(app: web.Application) -> AsyncIterator[None]:
    """Pixel walls get frames from the engine process only, so that a wall is never fed twice; a wall added to
    the configuration is fed at once."""
    app[STREAMER] = PixelStreamer(lambda: app[CONFIG].current, app[HUB])
    app[CONFIG].on_change(app[STREAMER].reconfigure)
    async with _background("pixel-streams", lambda: app[LEADERSHIP].while_leading(app[STREAMER].run)):
        yield


async def _ntcip_signs(app: web.Application) -> AsyncIterator[None]:
    """NTCIP signs are driven by the leading engine only, so that two engines never write one sign's table."""
    settings = app[SETTINGS]
    app[SIGNS] = NtcipSigns(lambda: app[CONFIG].current, app[HUB], app[STORE], app[METRICS],
                            poll_s=settings.sign_poll_s, timeout_s=settings.sign_timeout_s,
                            retries=settings.sign_retries)
    app[CONFIG].on_change(app[SIGNS].reconfigure)
    async with _background("ntcip-signs", lambda: app[LEADERSHIP].while_leading(app[SIGNS].run)):
        yield


async def _expire_subscriptions(app: web.Application) -> None:
    """Hourly: forget the phones that have not renewed their subscription in 60 days."""
    while True:
        gone = await app[SUBSCRIPTIONS].expire(datetime.now(UTC))
        if gone:
            log.info("%d push subscription(s) expired after 60 days without renewal", gone)
            app[METRICS].push_subscriptions.set(await app[SUBSCRIPTIONS].count())
        await asyncio.sleep(3600)


async def _push_workers(app: web.Application) -> AsyncIterator[None]:
    """Workers that send Web Push, over one aiohttp session of their own (its connection pool sized for them)."""
    settings = app[SETTINGS]
    keys = vapid_keys(app)
    app[PUSH_WORKERS] = []
    if keys is None:
        log.warning("Web Push is not configured (no SIGNAGE_VAPID_PRIVATE_KEY): push decisions wait in the queue")
        yield
        return
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=settings.push_per_service)
    async with aiohttp.ClientSession(connector=connector) as session, contextlib.AsyncExitStack() as stack:
        sender = PushSender(session, keys, per_service=settings.push_per_service)
        await stack.enter_async_context(_background("push-expiry", lambda: _expire_subscriptions(app)))
        for _ in range(settings.push_workers):
            worker = PushWorker(app[JOBS], app[SUBSCRIPTIONS], sender, app[METRICS],
                                timezone=lambda: app[CONFIG].current.timezone, served=app[STORE])
            app[PUSH_WORKERS].append(worker)
            await stack.enter_async_context(_background(f"push-{worker.name}", worker.run))
        yield


async def _feed_runners(app: web.Application) -> AsyncIterator[None]:
    """Polled and MQTT feeds, fetched by the engine process only. A configuration edit starts, stops or restarts
    exactly the feeds it adds, removes or changes; the others go on undisturbed."""
    app[RUNNERS] = {}

    def start(feed_id: str, feed: FeedConfig) -> Coroutine[Any, Any, None]:
        runner = app[RUNNERS][feed_id] = runner_for(feed, app[HTTP], app[INTAKE])
        return _supervised(f"feed-{feed_id}", runner.run)

    feeds = KeyedTasks("feeds", start)

    async def follow(config: Config) -> None:
        wanted = fetched_by_the_engine(config.feeds.values()) if app[LEADERSHIP].leading else {}
        await feeds.reconcile(wanted)
        runners = app[RUNNERS]
        for gone in [feed_id for feed_id in runners if feed_id not in feeds.keys]:
            del runners[gone]

    async def lead(leading: bool) -> None:  # a standby fetches nothing: every feed is fetched once
        await follow(app[CONFIG].current)

    await follow(app[CONFIG].current)
    app[CONFIG].on_change(follow)
    app[LEADERSHIP].on_change(lead)
    try:
        yield
    finally:
        await feeds.close()


async def _config_watcher(app: web.Application) -> AsyncIterator[None]:
    interval = app[SETTINGS].config_poll_s
    async with _background("config-watcher", lambda: app[CONFIG].watch(interval)):
        yield


async def _demo_producer_tokens(app: web.Application) -> AsyncIterator[None]:
    """The demo's simulated producers and panels get tokens of their own, as real ones would (an earlier one stays
    valid)."""
    app[DEMO_TOKENS] = {feed.id: await app[FEED_TOKENS].issue(feed.id, keep_previous=True)
                        for feed in app[CONFIG].current.feeds.values()
                        if receives_deliveries(feed) and feed.options.get("auth") == "token"}
    app[DEMO_PANEL_TOKENS] = {panel_id: await app[PANEL_TOKENS].issue(panel_id, keep_previous=True)
                              for panel_id in app[CONFIG].current.panels}
    yield


async def _simulator(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    base = f"http://127.0.0.1:{settings.port}"
    simulator = Simulator(app[HTTP], base, settings.simulation_speed, tokens=app[DEMO_TOKENS])
    config = app[CONFIG].current
    kiosks = frozenset(p.id for p in config.panels.values() if config.profiles[p.profile].kind is ProfileKind.KIOSK)
    panels = StreetPanels(app[HTTP], base, app[DEMO_PANEL_TOKENS], kiosks)
    zone = ZoneInfo(config.timezone)
    summary = partial(every_minute, app[METRICS], lambda line: print(line, flush=True),
                      lambda: datetime.now(zone))
    async with (_background("simulator", simulator.run), _background("street panels", panels.run),
                _background("demo summary", summary)):
        yield


async def _close_sockets(app: web.Application) -> None:
    open_sockets: set[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(open_sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise json_error(web.HTTPNotFound, "not_found", "no such file")
    path = Path(str(resources.files("content").joinpath("pages", name)))
    media = STATIC_FILES[name]
    return web.Response(body=path.read_bytes(), content_type=media,
                        charset=None if media == "image/png" else "utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


def create_app(settings: Settings, config: Config | None = None) -> web.Application:
    """Build the application for ``settings.role``; the configuration is loaded if not given."""
    app = web.Application(middlewares=[edge_middleware],
                          client_max_size=settings.max_body_bytes)
    app.on_response_prepare.append(security_headers)
    app[SETTINGS] = settings
    app[CONFIG] = LiveConfig(config if config is not None else load_config(settings.config_path),
                             settings.config_path)
    app[METRICS] = Metrics()
    app[SOCKETS] = set()  # a plain set: a weak one costs each connection a quarter of a KiB more
    app[ADDRESSES] = AddressSlots(settings.ws_max_per_address,
                                  settings.ws_max_connections or process_connection_limit())
    app.cleanup_ctx.append(_resources)
    if settings.simulate:
        app.cleanup_ctx.append(_demo_producer_tokens)
    if settings.config_poll_s > 0:
        app.cleanup_ctx.append(_config_watcher)
    if settings.runs_web or settings.runs_engine:
        app.cleanup_ctx.append(_hub)  # one reader of the bus's live stream, for the clients and the devices
    if settings.runs_web:
        app[PANEL_STREAMS] = PanelStreams()
        app.cleanup_ctx.append(_feed_access)
        app.cleanup_ctx.append(_previews)
        app.add_routes(feed_delivery_routes)
        app[RENDERS] = RenderCache(max_entries=512)
        app.add_routes(panel_routes)
        app.add_routes(open_alert_routes)
        app.add_routes(open_data_routes)
        app.add_routes(openapi_routes)
        app.add_routes(citizen_app_routes)
        app.add_routes(public_page_routes)
        app.add_routes(console_routes)
        app.add_routes(console_page_routes)
        app.add_routes(broadcast_routes)
        app.add_routes(template_admin_routes)
        app[LOGIN_LIMITS] = LoginThrottle()
        app[OPEN_LIMITS] = RateLimiter(settings.open_burst, settings.open_per_second)
        app[PUSH_LIMITS] = RateLimiter(settings.push_subscribe_burst, settings.push_subscribe_per_hour / 3600)
        app.add_routes(push_routes)
        app.add_routes(sse_routes)
        app.router.add_get("/ws", websocket_handler)
        app.router.add_get("/static/{name}", _static)
        app.add_routes(map_file_routes)
        app.on_shutdown.append(_close_sockets)
    if settings.runs_engine:
        app.cleanup_ctx.append(_engine)
        app.cleanup_ctx.append(_dead_letter_retention)
        app.cleanup_ctx.append(_feed_runners)
        app.cleanup_ctx.append(_pixel_streams)
        app.cleanup_ctx.append(_ntcip_signs)
    if settings.runs_push:
        app.cleanup_ctx.append(_push_workers)
    if settings.simulate:
        app.cleanup_ctx.append(_simulator)
    app.add_routes(api_routes if settings.runs_web else [r for r in api_routes if _is_ops(r)])
    return app


def _is_ops(route: Any) -> bool:
    return getattr(route, "path", "") in ("/healthz", "/readyz", "/metrics")
