"""From a feed delivery to what a kiosk's WebSocket receives and what a panel poll returns, on both backends."""

from __future__ import annotations

import io
from typing import Any

from tests.helpers import eventually, feed_auth, next_frame, post_central_parking


async def test_a_feed_delivery_reaches_kiosk_websocket_and_panel_poll(client) -> None:  # type: ignore[no-untyped-def]
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["panel/gare"]})
    assert (await next_frame(ws))["type"] == "subscribed"
    initial = await next_frame(ws, lambda f: f["type"] == "update")
    assert initial["data"]["panel"] == "gare"

    await post_central_parking(client, darcy=42)

    def shows_42(frame: dict) -> bool:  # type: ignore[type-arg]
        return frame["type"] == "update" and "Darcy 42 pl" in frame["data"]["pages"][0]["lines"]

    update = await next_frame(ws, shows_42)
    assert update["offset"] > initial["offset"]
    poll = await client.get("/api/v1/panels/darcy/content?format=multi")
    assert "Darcy 42 pl" in await poll.text()
    await ws.close()


async def test_bad_input_gets_a_clear_error_and_other_deliveries_go_on(client) -> None:  # type: ignore[no-untyped-def]
    auth = await feed_auth(client, "ngsi")
    bad = await client.post("/feeds/ngsi", data=b'{"data": [{"type": "OffStreetParking"}]}', headers=auth)
    assert bad.status == 400
    error = (await bad.json())["error"]
    assert error["code"] == "bad_payload" and error["where"] == "data[0].id" and error["dead_letter"]
    unknown = await client.post("/feeds/nope", data=b"{}", headers=auth)
    assert unknown.status == 404 and (await unknown.json())["error"]["code"] == "unknown_feed"
    huge = await client.post("/feeds/ngsi", data=io.BytesIO(b" " * (5 * 1024 * 1024)), headers=auth)
    assert huge.status == 413 and (await huge.json())["error"]["code"] == "too_large"
    await post_central_parking(client, darcy=5)
    async def darcy_shows_5() -> bool:
        return "Darcy 5 pl" in await (await client.get("/api/v1/panels/darcy/content?format=multi")).text()

    await eventually(darcy_shows_5)


async def test_health_readiness_and_metrics(client) -> None:  # type: ignore[no-untyped-def]
    assert (await (await client.get("/healthz")).json()) == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"] == {"bus": True, "store": True, "engine": True}
    assert (await ready.json())["config"] == {"version": 1, "errors": []}
    await post_central_parking(client, darcy=9)
    metrics = await (await client.get("/metrics")).text()
    assert 'signage_feed_deliveries_total{feed="ngsi",result="accepted"} 3.0' in metrics


async def test_feed_health_shows_successes_errors_lag_and_stale_keys(client) -> None:  # type: ignore[no-untyped-def]
    await post_central_parking(client, darcy=9)
    assert (await client.post("/feeds/ngsi", data=b"{broken", headers=await feed_auth(client, "ngsi"))).status == 400
    async def feeds() -> dict[str, Any]:
        return {f["feed"]: f for f in (await (await client.get("/api/v1/feeds")).json())["feeds"]}

    async def counted() -> Any:
        found = await feeds()
        return found if (found["ngsi"]["deliveries"], found["ngsi"]["rejected"]) == (3, 1) else None

    report = await eventually(counted)
    ngsi = report["ngsi"]
    assert ngsi["status"] == "error" and "not JSON" in ngsi["last_error"]["reason"]
    assert ngsi["keys"] == 3 and ngsi["stale_count"] == 0 and ngsi["lag_s"] is not None
    assert report["siri"]["status"] == "silent" and report["siri"]["deliveries"] == 0
    await post_central_parking(client, darcy=8)

    async def healthy() -> Any:
        found = (await feeds())["ngsi"]
        return found if found["status"] == "ok" else None

    assert (await eventually(healthy))["rate_per_min"] > 0


async def test_orion_ld_subscription_id_in_the_query_string_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import parking_body

    response = await client.post("/feeds/ngsi?subscriptionId=urn:ngsi-ld:Subscription:1",
                                 data=parking_body("darcy", 7),
                                 headers={"Content-Type": "application/json", **await feed_auth(client, "ngsi")})
    assert response.status == 202 and (await response.json())["observations"] == 1
