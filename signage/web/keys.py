"""Typed application state: every shared resource of the aiohttp app lives under one of these keys."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from channels.address_slots import AddressSlots
from channels.hub import Hub
from channels.ntcip_signs import NtcipSigns
from channels.panel_status import PanelStatus
from channels.pixel_stream import PixelStreamer
from channels.push_subscriptions import SubscriptionStore
from channels.push_worker import PushWorker
from renderers.cache import RenderCache
from signage.bus import Bus
from signage.engine import Engine
from signage.feed_runners import MqttRunner, Poller
from signage.ingest import Intake
from signage.leadership import Leadership
from signage.metrics import Metrics
from signage.settings import Settings
from signage.store import Store
from signage.tokens import FeedTokens, PanelTokens
from signage.web.live_config import LiveConfig
from signage.web.login_throttle import LoginThrottle
from signage.web.panel_streams import PanelStreams
from signage.web.preview_pool import PreviewPool
from signage.web.rate_limit import RateLimiter
from signage.web.staff_auth import StaffAccounts
from signage.work_queue import WorkQueue

__all__ = [
    "BUS",
    "CONFIG",
    "ENGINE",
    "FEED_TOKENS",
    "HTTP",
    "HUB",
    "INTAKE",
    "JOBS",
    "METRICS",
    "PUSH_WORKERS",
    "RENDERS",
    "RUNNERS",
    "SETTINGS",
    "SIGNS",
    "SOCKETS",
    "STORE",
    "STREAMER",
    "SUBSCRIPTIONS",
]

SETTINGS = web.AppKey("settings", Settings)
CONFIG = web.AppKey("config", LiveConfig)
BUS = web.AppKey("bus", Bus)
STORE = web.AppKey("store", Store)
METRICS = web.AppKey("metrics", Metrics)
HUB = web.AppKey("hub", Hub)
ENGINE = web.AppKey("engine", Engine)
LEADERSHIP = web.AppKey("leadership", Leadership)
HTTP = web.AppKey("http", aiohttp.ClientSession)
INTAKE = web.AppKey("intake", Intake)
RUNNERS = web.AppKey("runners", dict[str, Poller | MqttRunner])  # by feed id, as the configuration has them
SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("sockets")  # each handler takes its own out
STREAMER = web.AppKey("streamer", PixelStreamer)
SIGNS = web.AppKey("signs", NtcipSigns)
RENDERS = web.AppKey("renders", RenderCache[bytes])
JOBS = web.AppKey("jobs", WorkQueue)
SUBSCRIPTIONS = web.AppKey("subscriptions", SubscriptionStore)
PUSH_WORKERS = web.AppKey("push_workers", list[PushWorker])
ADDRESSES = web.AppKey("addresses", AddressSlots)  # open WebSocket and SSE connections per client address
PANEL_TOKENS = web.AppKey("panel_tokens", PanelTokens)
FEED_TOKENS = web.AppKey("feed_tokens", FeedTokens)
DEMO_TOKENS = web.AppKey("demo_tokens", dict[str, str])  # the demo's simulated producers' tokens
DEMO_PANEL_TOKENS = web.AppKey("demo_panel_tokens", dict[str, str])  # the demo's simulated panels' tokens
PANEL_STATUS = web.AppKey("panel_status", PanelStatus)
PANEL_STREAMS = web.AppKey("panel_streams", PanelStreams)  # open panel streams, closed on revocation
OPEN_LIMITS = web.AppKey("open_limits", RateLimiter)
PUSH_LIMITS = web.AppKey("push_limits", RateLimiter)  # push subscriptions per address
STAFF = web.AppKey("staff", StaffAccounts)
LOGIN_LIMITS = web.AppKey("login_limits", LoginThrottle)
PREVIEWS = web.AppKey("previews", PreviewPool)  # worker processes for what staff type
PREVIEWING = web.AppKey("previewing", set[str])  # staff with a preview being made
