"""Open data: live values as JSON and CSV, history windows, panels, messages, feeds; CORS, caching, rate limit."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from signage.config import demo_config_path
from signage.settings import Settings
from tests.helpers import eventually, post_central_parking


async def wait_for_dataset(client: Any, name: str, item: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        items = {i["id"]: i for i in (await (await client.get(f"/api/v1/open/{name}")).json())["items"]}
        return dict(items[item]) if item in items else None

    return dict(await eventually(found, what=f"{name}/{item} in the open data"))


async def test_car_parks_as_json_and_csv_with_open_cors_and_caching(client) -> None:  # type: ignore[no-untyped-def]
    await post_central_parking(client, darcy=88)
    darcy = await wait_for_dataset(client, "parking", "darcy")
    assert darcy["free"] == 88 and darcy["stale"] is False and darcy["age_s"] >= 0
    assert "messages" not in darcy
    response = await client.get("/api/v1/open/parking")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    again = await client.get("/api/v1/open/parking", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status in (200, 304)  # ages move on, so the document may differ a moment later
    sheet = await client.get("/api/v1/open/parking.csv")
    assert sheet.content_type == "text/csv"
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(await sheet.text()))}
    assert rows["darcy"]["free"] == "88" and next(iter(rows["darcy"])) == "id"


async def test_a_history_window_of_one_car_park(client) -> None:  # type: ignore[no-untyped-def]
    for free in (90, 91):
        await post_central_parking(client, darcy=free)
    await wait_for_dataset(client, "parking", "darcy")
    async def last_two() -> bool:
        history = await (await client.get("/api/v1/open/parking/darcy/history?hours=1")).json()
        return [p["free"] for p in history["points"]][-2:] == [90, 91]

    await eventually(last_two)
    assert (await client.get("/api/v1/open/parking/darcy/history?hours=99")).status == 400
    missing = await client.get("/api/v1/open/parking/nowhere/history")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "unknown_item"
    sheet = await client.get("/api/v1/open/parking/darcy/history?hours=1&format=csv")
    assert (await sheet.text()).startswith("observed_at,")


async def test_panels_messages_alerts_and_feeds(client) -> None:  # type: ignore[no-untyped-def]
    await post_central_parking(client, darcy=12)
    async def some_messages() -> Any:
        messages = await (await client.get("/api/v1/open/messages")).json()
        return messages if messages["messages"] else None

    messages = await eventually(some_messages)
    assert any("darcy" in m["panels"] for m in messages["messages"])
    panels = {p["id"]: p for p in (await (await client.get("/api/v1/open/panels")).json())["panels"]}
    assert panels["gare"]["kind"] == "kiosk" and panels["darcy"]["pages"]
    sheet = await (await client.get("/api/v1/open/panels.csv")).text()
    assert sheet.splitlines()[0].startswith("id,") and "shows" in sheet.splitlines()[0]
    feeds = await (await client.get("/api/v1/open/feeds")).json()
    assert isinstance(feeds["feeds"], list)
    assert (await (await client.get("/api/v1/open/alerts")).json()) == {"alerts": []}
    index = await (await client.get("/api/v1/open")).json()
    assert {d["name"] for d in index["datasets"]} >= {"parking", "air", "panels", "messages", "alerts", "feeds"}
    assert (await client.get("/api/v1/open/parking?format=xml")).status == 400


async def test_too_many_requests_get_429_with_retry_after(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from signage.web.app import create_app

    settings = Settings(config_path=demo_config_path(), role="web", redis_url=None,
                        sqlite_path=str(tmp_path / "s.sqlite3"), open_burst=3, open_per_second=0.5)
    client = await aiohttp_client(create_app(settings))
    statuses = [(await client.get("/api/v1/open/parking")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = await client.get("/api/v1/open/parking")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 1
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
