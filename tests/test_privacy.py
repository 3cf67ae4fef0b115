"""Nothing personal leaves the engine: with phones subscribed and pushed to, no public endpoint, page, stream,
metric or log line shows an endpoint, a key, a subscription id or a phone's settings."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from signage.web.keys import SUBSCRIPTIONS
from signage.web.openapi import openapi_document
from tests.channels.test_web_push import post_alert, push_setup, subscribe  # noqa: F401 (fixture)
from tests.helpers import eventually
from tests.push_service import subscriber_info

PARAMETERS = {"panel_id": "darcy", "item_id": "darcy", "alert_id": "P1", "name": "kiosk.js", "feed_id": "ngsi",
              "template_id": "parking-guidance", "code": "en"}


async def test_no_subscription_detail_is_ever_public(push_setup, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    caplog.set_level(logging.DEBUG)
    client, state, base = push_setup
    secrets_seen: list[str] = []
    # A distinctive quiet-hours window twelve hours away from now, so that it never holds this push back.
    away = datetime.now(ZoneInfo("Europe/Paris")) + timedelta(hours=12)
    quiet = f"{away:%H:%M}-{away + timedelta(minutes=7):%H:%M}"
    for name, extra in (("privacy-anna", {"quiet_hours": quiet}), ("privacy-bob", {"language": "en"})):
        answer = await subscribe(client, base, name, **extra)
        info = subscriber_info(base, name)
        secrets_seen += [info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"], answer["id"], name]
    secrets_seen.append(quiet)
    state.script("privacy-bob", (410, {}))  # pruning logs too
    await post_alert(client, "P1", "Inondation")
    await eventually(lambda: len(state.received) >= 2)

    async def gone_phone_pruned() -> bool:  # the 410's pruning logs too: wait for it before reading the logs
        return bool(await client.app[SUBSCRIPTIONS].count() == 1)

    await eventually(gone_phone_pruned)

    bodies: dict[str, str] = {}
    for path, operations in openapi_document()["paths"].items():
        if "get" not in operations or path in ("/ws", "/api/v1/events", "/api/v1/panels/{panel_id}/stream"):
            continue
        url = path.format(**PARAMETERS)
        response = await client.get(url)
        bodies[url] = (await response.read()).decode("utf-8", "replace")
    for page in ("/kiosk/gare", "/kiosk/campus", "/static/kiosk.js"):
        bodies[page] = await (await client.get(page)).text()
    events = await client.get("/api/v1/events?topics=alerts/cote-d-or,parking/darcy")
    bodies["sse"] = (await events.content.read(4096)).decode("utf-8", "replace")
    events.close()
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["alerts/cote-d-or", "panel/darcy"]})
    frames: list[Any] = []
    for _ in range(4):
        message = await asyncio.wait_for(ws.receive(), timeout=5)
        frames.append(message.data)
    await ws.close()
    bodies["ws"] = " ".join(str(f) for f in frames)
    # Every log line of the engine's processes; the local push service's own access log (it plays Google's or
    # Mozilla's server, which knows its endpoints anyway) is left out.
    bodies["logs"] = "\n".join(record.getMessage() for record in caplog.records
                               if not (record.name == "aiohttp.access" and '"POST /push/' in record.getMessage()))

    assert len(bodies) > 40
    leaks = [(where, secret) for where, body in bodies.items() for secret in secrets_seen if secret in body]
    assert leaks == []
    metrics = bodies["/metrics"]
    assert "signage_push_subscriptions" in metrics  # a count is public, never who
