"""Every bad input gets a clear 4xx JSON error and loses nothing else; everything the engine sends out is valid
JSON and clean text.

Guards proven: ``safe_json.loads`` (depth, long numbers, NaN and infinities) at the feeds, the JSON APIs and
``/ws``; the error middleware (405 with ``Allow``, 414, 431 as JSON); ``allowed_endpoint`` (no port tricks, exact
hosts); ``checked`` (no non-finite numbers, no control or bidi characters from a feed); ``spreadsheet_cell``;
the decoders' safety net (a decoder that would crash refuses instead).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from signage.demo.payloads import CarPark, cap_alert, datex2_parking, parking_notification
from tests.helpers import eventually, feed_auth, next_frame
from tests.push_service import subscriber_info

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Darcy" would read as something else


def strict_json(text: str) -> Any:
    """Parse as a browser's JSON.parse would: no NaN, no Infinity."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


async def test_deep_nesting_and_endless_numbers_get_a_clear_400(attacked: Any) -> None:
    auth = await feed_auth(attacked, "ngsi")
    deep = await attacked.post("/feeds/ngsi", data=b"[" * 100_000 + b"]" * 100_000, headers=auth)
    assert deep.status == 400 and "nested deeper" in (await deep.json())["error"]["message"]
    number = b'{"data": [{"id": "x", "type": "OffStreetParking", "availableSpotNumber": %s}]}' % (b"9" * 5000)
    long = await attacked.post("/feeds/ngsi", data=number, headers=auth)
    assert long.status == 400 and "too long" in (await long.json())["error"]["message"]
    subscribe = await attacked.post("/api/v1/push/subscriptions", data=b"[" * 50_000,
                                    headers={"Content-Type": "application/json"})
    assert subscribe.status in (400, 503)  # 503 only when push is not configured; never a 500
    ops = await attacked.post("/api/v1/panels/darcy/receipts", data=b"[" * 50_000)
    assert ops.status == 401  # no token: refused before the body is read


async def test_not_a_number_is_refused_at_the_feed_and_never_sent_out(attacked: Any) -> None:
    auth = await feed_auth(attacked, "ngsi")
    ws = await attacked.ws_connect("/ws")
    await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
    await next_frame(ws, lambda f: f["type"] == "subscribed")
    for value in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        body = (b'{"data": [{"id": "urn:ngsi-ld:OffStreetParking:darcy", "type": "OffStreetParking", '
                b'"availableSpotNumber": {"type": "Number", "value": %s}}]}' % value)
        refused = await attacked.post("/feeds/ngsi", data=body, headers=auth)
        assert refused.status == 400, value
        assert "number" in (await refused.json())["error"]["message"]
    datex = datex2_parking([(CarPark("x", "X", 100, 47.0, 5.0), 1)], datetime.now(UTC)).replace(
        b"<totalNumberOfVacantParkingSpaces>1<", b"<totalNumberOfVacantParkingSpaces>inf<")
    crashed_before = await attacked.post("/feeds/datex2", data=datex, headers=await feed_auth(attacked, "datex2"))
    assert crashed_before.status == 400 and "finite" in (await crashed_before.json())["error"]["message"]
    good = parking_notification(CarPark("darcy", "Darcy", 567, 47.3, 5.0), 12, datetime.now(UTC))
    assert (await attacked.post("/feeds/ngsi", data=good, headers=auth)).status == 202
    frame = await next_frame(ws, lambda f: f["type"] == "update")
    assert frame["data"]["free"] == 12
    raw = await attacked.get("/api/v1/open/parking")
    strict_json(await raw.text())
    await ws.close()


async def test_wrong_methods_long_urls_and_huge_headers_get_json_errors(attacked: Any) -> None:
    put = await attacked.put("/healthz")
    assert put.status == 405 and "GET" in put.headers["Allow"]
    assert (await put.json())["error"]["code"] == "method_not_allowed"
    delete = await attacked.delete("/api/v1/open")
    assert delete.status == 405 and (await delete.json())["error"]["code"] == "method_not_allowed"
    long = await attacked.get("/api/v1/panels/" + "a" * 10_000 + "/content")
    assert long.status == 414 and (await long.json())["error"]["code"] == "uri_too_long"
    header = await attacked.get("/healthz", headers={"X-Big": "a" * 10_000})
    assert header.status == 431 and (await header.json())["error"]["code"] == "header_too_large"


async def test_push_endpoints_are_on_the_push_services_exact_hosts(make_client: Any) -> None:
    from signage.cli import _new_vapid_private_key

    client = await make_client(vapid_private_key=_new_vapid_private_key())
    for endpoint in ("https://evil.example:443.googleapis.com/fcm/send/x", "https://storage.googleapis.com/bucket/x",
                     "https://fcm.googleapis.com.evil.example/x", "https://fcm.googleapis.com:8443/x",
                     "https://user@fcm.googleapis.com/x", "http://updates.push.services.mozilla.com/x",
                     "https://a.b.notify.windows.com/w/"):
        body = {**subscriber_info("https://fcm.googleapis.com", "ines"), "endpoint": endpoint,
                "topics": ["alerts/dijon"]}
        answer = await client.post("/api/v1/push/subscriptions", json=body)
        assert answer.status == 400, endpoint
        assert (await answer.json())["error"]["field"] == "endpoint"
    body = {**subscriber_info("https://fcm.googleapis.com", "ines"), "topics": ["alerts/dijon"]}
    assert (await client.post("/api/v1/push/subscriptions", json=body)).status == 201


async def test_control_and_bidi_characters_never_reach_a_page_a_sheet_or_a_feed(attacked: Any) -> None:
    name = f"Darcy {RLO}tenmecalpéd\x07"
    sneaky = CarPark("darcy", name, 567, 47.3, 5.0)
    assert (await attacked.post("/feeds/ngsi", data=parking_notification(sneaky, 5, datetime.now(UTC)),
                                headers=await feed_auth(attacked, "ngsi"))).status == 202
    now = datetime.now(UTC)
    alert = cap_alert("BIDI-1", now, now + timedelta(hours=2), headline_fr=f"Crue {RLO}ehcuO'l ed")
    assert (await attacked.post("/feeds/cap", data=alert, headers=await feed_auth(attacked, "cap"))).status == 202

    async def everything() -> list[str]:
        texts = []
        for path in ("/api/v1/open/parking", "/api/v1/open/parking.csv", "/api/v1/open/alerts.atom",
                     "/api/v1/open/alerts/BIDI-1.xml", "/kiosk/gare", "/api/v1/panels/gare/content?format=html",
                     "/api/v1/panels/gare/content"):
            answer = await attacked.get(path)
            texts.append(await answer.text() if answer.status == 200 else "")
        return texts

    async def all_written() -> Any:
        texts = await everything()
        return texts if all(texts) and "tenmecalpéd" in texts[0] and "ehcuO" in texts[2] else None

    texts = await eventually(all_written)
    assert "tenmecalpéd" in texts[1] and "ehcuO" in texts[3]
    for text in texts:
        assert RLO not in text and "\x07" not in text


async def test_a_cell_a_spreadsheet_would_run_is_written_as_text(attacked: Any) -> None:
    formula = CarPark("darcy", '=HYPERLINK("http://evil.example","Darcy")', 567, 47.3, 5.0)
    assert (await attacked.post("/feeds/ngsi", data=parking_notification(formula, 5, datetime.now(UTC)),
                                headers=await feed_auth(attacked, "ngsi"))).status == 202
    async def written() -> str | None:
        csv = await (await attacked.get("/api/v1/open/parking.csv")).text()
        return csv if "HYPERLINK" in csv else None

    csv = await eventually(written)
    assert "'=HYPERLINK" in csv and ',"=HYPERLINK' not in csv and ",=HYPERLINK" not in csv


async def test_bad_websocket_frames_get_errors_and_the_connection_goes_on(attacked: Any) -> None:
    ws = await attacked.ws_connect("/ws")
    await ws.send_str("[" * 30_000 + "]" * 30_000)
    error = await next_frame(ws, lambda f: f["type"] == "error")
    assert error["code"] == "bad_json" and "nested" in error["message"]
    await ws.send_str('{"type": "subscribe", "topics": ["parking/darcy"], "since": {"parking/darcy": '
                      '{"offset": ' + "9" * 5000 + ', "epoch": "x"}}}')
    assert (await next_frame(ws, lambda f: f["type"] == "error"))["code"] == "bad_json"
    await ws.send_json({"type": "subscribe", "topics": ["alerts/x\n"]})
    assert (await next_frame(ws, lambda f: f["type"] == "error"))["code"] == "unknown_topic"
    await ws.send_json({"type": "ping"})
    assert (await next_frame(ws, lambda f: f["type"] == "pong"))["type"] == "pong"
    await ws.send_str("x" * (70 * 1024))  # over the 64 KiB a frame may have
    closing = await ws.receive(timeout=5)
    while closing.type is aiohttp.WSMsgType.TEXT:
        closing = await ws.receive(timeout=5)
    assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 1009
