"""The Web Push HTTP API for phones: the VAPID public key, subscribing and unsubscribing.

Nothing here echoes an endpoint or a key back: the answer to a subscription is its id, its topics and settings.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from channels.push_sender import VapidKeys
from channels.push_subscriptions import DEFAULT_PUSH_SERVICES, SubscriptionProblem, parse_subscription, subscription_id
from signage.web.errors import json_error, read_json
from signage.web.keys import CONFIG, METRICS, PUSH_LIMITS, SETTINGS, SUBSCRIPTIONS

__all__ = ["MAX_SUBSCRIPTION_BYTES", "routes", "vapid_keys"]

routes = web.RouteTableDef()
MAX_SUBSCRIPTION_BYTES = 16 * 1024


def vapid_keys(app: web.Application) -> VapidKeys | None:
    settings = app[SETTINGS]
    if not settings.vapid_private_key:
        return None
    return VapidKeys(settings.vapid_private_key, settings.vapid_subject)


@routes.get("/api/v1/push/vapid-public-key")
async def vapid_public_key(request: web.Request) -> web.Response:
    keys = vapid_keys(request.app)
    if keys is None:
        raise json_error(web.HTTPServiceUnavailable, "push_not_configured",
                         "Web Push is not configured on this server (SIGNAGE_VAPID_PRIVATE_KEY)")
    return web.json_response({"public_key": keys.public_key}, headers={"Cache-Control": "public, max-age=3600"})


@routes.post("/api/v1/push/subscriptions")
async def subscribe(request: web.Request) -> web.Response:
    if vapid_keys(request.app) is None:
        raise json_error(web.HTTPServiceUnavailable, "push_not_configured", "Web Push is not configured")
    config, settings = request.app[CONFIG].current, request.app[SETTINGS]
    # A phone subscribes once and renews now and then: a few an hour per address is plenty (a household behind
    # one address included), and thousands from one address are an attack on the store and on the push workers.
    wait = request.app[PUSH_LIMITS].take(request.remote or "?")
    if wait:
        seconds = max(1, int(wait + 0.999))
        error = json_error(web.HTTPTooManyRequests, "rate_limited",
                           f"too many subscriptions from this address; retry in {seconds} s")
        error.headers["Retry-After"] = str(seconds)
        raise error
    try:
        subscription = parse_subscription(await read_json(request, MAX_SUBSCRIPTION_BYTES),
                                          services=settings.push_services or DEFAULT_PUSH_SERVICES,
                                          languages=config.languages, topic_ok=config.topic_names.match)
    except SubscriptionProblem as exc:
        raise json_error(web.HTTPBadRequest, "bad_subscription", str(exc), field=exc.field) from exc
    store = request.app[SUBSCRIPTIONS]
    if await store.get(subscription.id) is None and await store.count() >= settings.push_max_subscriptions:
        raise json_error(web.HTTPServiceUnavailable, "push_full",
                         "this server holds as many push subscriptions as it is set to; try again later")
    await store.save(subscription, datetime.now(UTC))
    request.app[METRICS].push_subscriptions.set(await store.count())
    quiet = subscription.quiet_hours
    return web.json_response({
        "id": subscription.id, "topics": list(subscription.topics), "language": subscription.language,
        "quiet_hours": f"{quiet.start:%H:%M}-{quiet.end:%H:%M}" if quiet else None,
    }, status=201)


@routes.delete("/api/v1/push/subscriptions")
async def unsubscribe(request: web.Request) -> web.Response:
    body = await read_json(request, MAX_SUBSCRIPTION_BYTES)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        raise json_error(web.HTTPBadRequest, "bad_subscription", "endpoint: the subscription's endpoint is needed",
                         field="endpoint")
    store = request.app[SUBSCRIPTIONS]
    if not await store.delete(subscription_id(endpoint)):
        raise json_error(web.HTTPNotFound, "unknown_subscription", "no such subscription")
    request.app[METRICS].push_subscriptions.set(await store.count())
    return web.Response(status=204)
