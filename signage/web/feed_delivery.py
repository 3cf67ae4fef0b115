"""``POST /feeds/{feed_id}``: deliveries from the city's producers, and nobody else's.

In order, each step as cheap as it can be for what it refuses: the feed must exist (404); the sender must prove
who it is before its body is read: its token (``Authorization: Bearer``, 401) or, for a webhook, its HMAC
signature over the body (401); it must come from the feed's ``allow_from`` networks (403); the body must fit
(413). A webhook signature, or a delivery id (``X-Delivery-Id``), is accepted once: seen again within the
signature's five minutes, the delivery is refused (409), so a captured delivery cannot be replayed. Then the
delivery is decoded at once, so the sender hears what was wrong (400 with where), and what cannot be used is kept
as a dead letter. Nothing refused before decoding is kept; all of it is counted in the feed's health (what a
stranger sent as refused for who sent it, what an authenticated producer sent as the feed's error).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from aiohttp import web

from signage.feed_auth import address_allowed, parse_networks
from signage.feeds import MAX_DELIVERY_BYTES, FeedError
from signage.feeds.webhook import MAX_SKEW_S, SIGNATURE_HEADER, verify_signature
from signage.ingest import EngineBehind
from signage.model import FeedConfig
from signage.tokens import Grant
from signage.web.errors import json_error, read_body
from signage.web.keys import CONFIG, FEED_TOKENS, INTAKE, STORE

__all__ = ["DELIVERY_ID_HEADER", "routes"]

routes = web.RouteTableDef()
DELIVERY_ID_HEADER = "X-Delivery-Id"
BEHIND_RETRY_S = 1
_STATUSES: dict[str, type[web.HTTPException]] = {
    "format_not_supported": web.HTTPNotImplemented, "too_large": web.HTTPRequestEntityTooLarge,
    "bad_signature": web.HTTPUnauthorized, "not_configured": web.HTTPServiceUnavailable,
    "sender_not_allowed": web.HTTPForbidden,
}


async def _refuse(request: web.Request, feed: FeedConfig, now: datetime, kind: type[web.HTTPException], code: str,
                  message: str) -> web.HTTPException:
    """A delivery refused for who sent it: counted in the feed's health, never kept."""
    await request.app[INTAKE].unauthenticated(feed.id, now, message)
    return json_error(kind, code, message)


async def _sender(request: web.Request, feed: FeedConfig, now: datetime) -> Grant | None:
    """The grant of the delivery's token, None for a feed that takes anyone or signs its bodies; 401 else."""
    if feed.format == "webhook":
        return None  # its signature is checked with the body
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else None
    grant = await request.app[FEED_TOKENS].check(feed.id, token) if token else None
    if grant is None and feed.options.get("allow_anonymous") is not True:
        if token:
            raise await _refuse(request, feed, now, web.HTTPUnauthorized, "bad_token",
                                f"this token is not one of feed {feed.id}'s")
        raise await _refuse(request, feed, now, web.HTTPUnauthorized, "token_required",
                            f"feed {feed.id} takes deliveries with its token (Authorization: Bearer …)")
    return grant


async def _once(request: web.Request, feed: FeedConfig, now: datetime, signature: str) -> None:
    """409 for a signature or delivery id already received within the signature's lifetime."""
    store = request.app[STORE]
    claims = [hashlib.sha256(signature.encode()).hexdigest()]
    if delivery_id := request.headers.get(DELIVERY_ID_HEADER, "")[:200]:
        claims.append(hashlib.sha256(f"{feed.id}\n{delivery_id}".encode()).hexdigest())
    for claim in claims:
        if not await store.claim("deliveries", claim, 2 * MAX_SKEW_S):
            raise await _refuse(request, feed, now, web.HTTPConflict, "duplicate_delivery",
                                "this delivery was already received (same signature or delivery id): "
                                "a replay is refused")


@routes.post("/feeds/{feed_id}")
async def feed_delivery(request: web.Request) -> web.Response:
    app = request.app
    feed_id = request.match_info["feed_id"]
    feed = app[CONFIG].current.feeds.get(feed_id)
    if feed is None:
        raise json_error(web.HTTPNotFound, "unknown_feed", f"no feed {feed_id[:100]!r} in this configuration")
    now = datetime.now(UTC)
    grant = await _sender(request, feed, now)
    networks = feed.options.get("allow_from")
    if (isinstance(networks, list) and not (grant is not None and grant.operator)
            and not address_allowed(request.remote, parse_networks(networks))):
        raise await _refuse(request, feed, now, web.HTTPForbidden, "address_not_allowed",
                            f"feed {feed.id} takes deliveries only from its producers' networks")
    try:
        body = await read_body(request, MAX_DELIVERY_BYTES)
    except web.HTTPRequestEntityTooLarge:  # never kept; the feed's error only from a producer who proved who it is
        too_large = f"body larger than {MAX_DELIVERY_BYTES} bytes"
        if feed.format == "webhook":  # its signature is over the body: not checked yet
            await app[INTAKE].unauthenticated(feed.id, now, too_large)
        else:
            await app[INTAKE].refused(feed.id, now, too_large, "body")
        raise
    if feed.format == "webhook":
        try:
            signature = verify_signature(feed, request.headers.get(SIGNATURE_HEADER), body, now)
        except FeedError as exc:
            raise await _refuse(request, feed, now, _STATUSES.get(exc.code, web.HTTPUnauthorized), exc.code,
                                exc.reason) from exc
        await _once(request, feed, now, signature)
    try:
        result = await app[INTAKE].deliver(feed, body, now, request.headers, request.content_type)
    except EngineBehind as exc:
        # Nothing was kept: the sender keeps the delivery and sends it again (Orion and MQTT bridges retry).
        error = json_error(web.HTTPServiceUnavailable, "engine_behind", str(exc))
        error.headers["Retry-After"] = str(BEHIND_RETRY_S)
        raise error from exc
    except FeedError as exc:
        extra = {"where": exc.where} | ({"dead_letter": exc.dead_letter} if exc.dead_letter else {})
        raise json_error(_STATUSES.get(exc.code, web.HTTPBadRequest), exc.code, exc.reason, **extra) from exc
    return web.json_response(
        {"accepted": True, "observations": len(result.observations), "alerts": len(result.alerts),
         "ignored": result.ignored[:50]},
        status=202,
    )
