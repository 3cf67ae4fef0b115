"""The active alerts for other alerting systems: an Atom feed, and each alert as a CAP 1.2 document.

Alerts are read from the ``alerts/<zone>`` topics the engine publishes, so any web process answers.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import quote

from aiohttp import web

from renderers.cap_out import AtomEntry, render_atom, render_cap
from signage.model import Alert
from signage.web.errors import json_error
from signage.web.interface_words import interface_word
from signage.web.keys import CONFIG, HUB, OPEN_LIMITS

__all__ = ["OPEN_HEADERS", "active_alerts", "limited", "open_response", "routes"]

routes = web.RouteTableDef()
STARTED = datetime.now(UTC).replace(microsecond=0)  # an empty feed was last updated when this process began
OPEN_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=30"}


async def active_alerts(request: web.Request) -> list[Alert]:
    config, hub = request.app[CONFIG].current, request.app[HUB]
    now = datetime.now(UTC)
    found: dict[str, Alert] = {}
    for zone in config.zones:
        update = await hub.latest(f"alerts/{zone}")
        for item in update.data.get("alerts", []) if update is not None else []:
            alert = Alert.from_json(item)
            if alert.expires is None or alert.expires > now:
                found[alert.id] = alert
    return sorted(found.values(), key=lambda a: (a.sent, a.id), reverse=True)


def limited(request: web.Request) -> None:
    """429 with ``Retry-After`` beyond the address's allowance of open-data requests (``RateLimiter``)."""
    wait = request.app[OPEN_LIMITS].take(request.remote or "?")
    if wait:
        seconds = max(1, int(wait + 0.999))
        error = json_error(web.HTTPTooManyRequests, "rate_limited",
                           f"too many requests from this address; retry in {seconds} s")
        error.headers.update({"Retry-After": str(seconds), **OPEN_HEADERS})
        raise error


def open_response(request: web.Request, body: bytes, content_type: str) -> web.Response:
    """An open-data answer: CORS open, cacheable, with an ETag of its body and 304 when it matches."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {**OPEN_HEADERS, "ETag": etag}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


@routes.get("/api/v1/open/alerts.atom")
async def alerts_atom(request: web.Request) -> web.Response:
    limited(request)
    config = request.app[CONFIG].current
    alerts = await active_alerts(request)
    base = f"{request.scheme}://{request.host}"
    entries = [
        AtomEntry(f"{base}/api/v1/open/alerts/{quote(a.id, safe='')}.xml",
                  a.headline.get(config.languages[0]) or next(iter(a.headline.values()), a.event),
                  a.description.get(config.languages[0], "") or a.event, a.sent,
                  f"{base}/api/v1/open/alerts/{quote(a.id, safe='')}.xml", config.languages[0])
        for a in alerts
    ]
    updated = max((a.sent for a in alerts), default=STARTED)
    title = f"{config.city}: {interface_word(config.languages[0], 'current_alerts')}"
    body = render_atom(entries, feed_id=f"{base}/api/v1/open/alerts.atom", title=title,
                       self_link=f"{base}/api/v1/open/alerts.atom", author=config.city, updated=updated,
                       timezone=config.timezone)
    return open_response(request, body, "application/atom+xml")


@routes.get("/api/v1/open/alerts/{alert_id}.xml")
async def alert_cap(request: web.Request) -> web.Response:
    limited(request)
    config = request.app[CONFIG].current
    alert_id = request.match_info["alert_id"]
    alert = next((a for a in await active_alerts(request) if a.id == alert_id), None)
    if alert is None:
        raise json_error(web.HTTPNotFound, "unknown_alert", f"no active alert {alert_id[:100]!r}")
    zone_ids = {zone for code in alert.zones
                for zone in ([code] if code in config.zones else config.zones_for_code(code))}
    body = render_cap(alert, sender=config.cap_sender, sender_name=config.city,
                      zones=[config.zones[z] for z in sorted(zone_ids)], sent=alert.sent, timezone=config.timezone,
                      languages=config.languages)
    return open_response(request, body, "application/cap+xml")
