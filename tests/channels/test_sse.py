"""Server-Sent Events: the same stream as /ws, with Last-Event-ID replay, in aiohttp and in a real browser."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from signage.web.keys import BUS
from tests.helpers import until


class EventReader:
    def __init__(self, response: Any) -> None:
        self.response = response

    async def next(self, kind: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event: dict[str, Any] = {}
            while True:
                line = (await self.response.content.readline()).decode().rstrip("\n")
                if line.startswith(":"):
                    continue
                if line == "":
                    if "data" in event and (kind is None or event.get("event") == kind):
                        event["data"] = json.loads(event["data"])
                        return event
                    event = {}
                    continue
                name, _, value = line.partition(": ")
                event[name] = value

        return await asyncio.wait_for(read(), timeout)


async def test_sse_streams_updates_and_replays_what_was_missed_after_a_reconnect(client) -> None:  # type: ignore[no-untyped-def]
    bus = client.app[BUS]
    await bus.publish("parking/sse-a", {"free": 10})
    response = await client.get("/api/v1/events?topics=parking/sse-a,parking/sse-b")
    assert response.status == 200 and response.content_type == "text/event-stream"
    events = EventReader(response)
    first = [await events.next() for _ in range(3)]
    assert [(e["event"], e["data"]["topic"]) for e in first] == [
        ("subscribed", "parking/sse-a"), ("update", "parking/sse-a"), ("subscribed", "parking/sse-b")]
    assert first[1]["data"]["data"] == {"free": 10}  # the latest state on subscribe
    await bus.publish("parking/sse-b", {"free": 20})
    second = await events.next("update")
    last_id = second["id"]
    assert "parking/sse-a=" in last_id and "parking/sse-b=" in last_id  # every topic's position
    response.close()

    missed = [await bus.publish("parking/sse-a", {"free": n}) for n in (11, 12)]
    missed.append(await bus.publish("parking/sse-b", {"free": 21}))
    again = await client.get("/api/v1/events?topics=parking/sse-a,parking/sse-b",
                             headers={"Last-Event-ID": last_id})
    events = EventReader(again)
    received = [await events.next() for _ in range(5)]
    assert [e["data"]["recovered"] for e in received if e["event"] == "subscribed"] == [True, True]
    replayed = [e for e in received if e["event"] == "update"]
    assert sorted((e["data"]["topic"], e["data"]["offset"]) for e in replayed) == sorted(
        (u.topic, u.offset) for u in missed)  # exactly what was missed, nothing twice
    again.close()


async def test_sse_refuses_bad_requests_clearly(client) -> None:  # type: ignore[no-untyped-def]
    for query, code in (("", "bad_topics"), ("?topics=../x", "unknown_topic")):
        response = await client.get(f"/api/v1/events{query}")
        assert response.status == 400 and (await response.json())["error"]["code"] == code


async def test_a_browser_eventsource_receives_updates(client, browser) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page()
    await page.goto(str(client.make_url("/kiosk/gare")))
    await page.evaluate("""() => {
        window.got = [];
        const source = new EventSource('/api/v1/events?topics=parking/sse-browser');
        source.addEventListener('subscribed', () => { window.subscribed = true; });
        source.addEventListener('update', e => window.got.push([e.lastEventId, JSON.parse(e.data)]));
    }""")
    await until(page, "window.subscribed === true", timeout=10_000)
    await client.app[BUS].publish("parking/sse-browser", {"free": 7})
    await until(page, "window.got.length > 0", timeout=10_000)
    last_id, frame = (await page.evaluate("window.got"))[0]
    assert frame["data"] == {"free": 7} and last_id.startswith("parking/sse-browser=")
    await page.close()
