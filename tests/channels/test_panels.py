"""Panel polling: content in every format, ETag and 304, long polls, clear errors."""

from __future__ import annotations

import asyncio
from typing import Any

from signage.web.keys import ADDRESSES
from tests.helpers import eventually, post_central_parking


async def test_every_panel_is_listed_with_where_its_content_is(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/panels")
    assert response.status == 200
    panels = {p["id"]: p for p in (await response.json())["panels"]}
    assert {"darcy", "republique", "gare", "toison-dor", "chu", "campus"} <= set(panels)
    assert panels["gare"]["kind"] == "kiosk" and panels["darcy"]["profile"] == "char-3x20"
    assert panels["darcy"]["content"]["url"] == "/api/v1/panels/darcy/content"


async def test_content_has_an_etag_and_an_unchanged_poll_gets_304(client) -> None:  # type: ignore[no-untyped-def]
    first = await client.get("/api/v1/panels/darcy/content")
    assert first.status == 200
    etag = first.headers["ETag"]
    body = await first.json()
    assert body["panel"] == "darcy" and body["pages"]
    again = await client.get("/api/v1/panels/darcy/content", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag


async def test_formats_multi_and_html(client) -> None:  # type: ignore[no-untyped-def]
    multi = await client.get("/api/v1/panels/darcy/content?format=multi")
    assert multi.status == 200 and multi.content_type == "text/plain"
    assert (await multi.text()).startswith("[jl3]")
    html = await client.get("/api/v1/panels/gare/content?format=html")
    text = await html.text()
    assert html.status == 200 and '<html lang="fr">' in text and "<script" not in text
    assert multi.headers["ETag"] != (await client.get("/api/v1/panels/darcy/content")).headers["ETag"]


async def test_errors_are_json_with_a_code(client) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ("/api/v1/panels/nowhere/content", 404, "unknown_panel"),
        ("/api/v1/panels/darcy/content?format=gif", 400, "bad_format"),
        ("/api/v1/panels/gare/content?format=multi", 406, "format_unavailable"),
        ("/api/v1/panels/darcy/content?wait=forever", 400, "bad_wait"),
        ("/api/v1/panels/darcy/content?wait=3600", 400, "bad_wait"),
        ("/no/such/route", 404, "not_found"),
    ]
    for url, status, code in cases:
        response = await client.get(url)
        assert response.status == status, url
        assert (await response.json())["error"]["code"] == code, url


async def test_a_long_poll_answers_as_soon_as_the_content_changes(client) -> None:  # type: ignore[no-untyped-def]
    current = await client.get("/api/v1/panels/darcy/content?format=multi")
    etag = current.headers["ETag"]
    poll = asyncio.create_task(client.get("/api/v1/panels/darcy/content?format=multi&wait=20",
                                          headers={"If-None-Match": etag}))
    await eventually(lambda: client.app[ADDRESSES].held("127.0.0.1"), what="the poll held by the server")
    assert not poll.done()
    await post_central_parking(client, darcy=77)
    response = await asyncio.wait_for(poll, timeout=10)
    assert response.status == 200 and response.headers["ETag"] != etag
    assert "Darcy 77 pl" in await response.text()


async def test_a_long_poll_with_nothing_new_ends_in_304(client) -> None:  # type: ignore[no-untyped-def]
    etag = (await client.get("/api/v1/panels/chu/content")).headers["ETag"]
    response = await client.get("/api/v1/panels/chu/content?wait=0.3", headers={"If-None-Match": etag})
    assert response.status == 304


async def test_explain_says_why_a_panel_shows_what_it_shows(client) -> None:  # type: ignore[no-untyped-def]
    await post_central_parking(client, darcy=0)
    async def explained() -> Any:
        found = await (await client.get("/api/v1/panels/darcy/explain")).json()
        return found if found["shown"][0]["id"] == "rule:parking-centre" else None

    explanation = await eventually(explained)
    assert explanation["shown"][0]["params"]["a_free"] == 0
    rules = {r["id"]: r for r in explanation["rules"]}
    assert rules["parking-centre"]["matched"] is True
    assert rules["air-poor"] == {**rules["air-poor"], "matched": False,
                                 "reason": "input 'air/dijon-metropole' has no value yet"}
    values = {v["key"]: v for v in explanation["values"]}
    assert values["parking/darcy"]["source"] == "ngsi" and values["parking/darcy"]["stale"] is False
    assert 0 <= values["parking/darcy"]["age_s"] < 30
    missing = await client.get("/api/v1/panels/nowhere/explain")
    assert missing.status == 404
