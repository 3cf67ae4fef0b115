"""Feeds the engine fetches: HTTP polls with conditional GET and backoff, MeteoAlarm Atom, and MQTT."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from signage.bus import Bus
from signage.bus.memory import MemoryBus
from signage.demo.payloads import cap_alert, gtfs_rt_alerts
from signage.feed_runners import MqttRunner, Poller
from signage.ingest import Intake
from signage.metrics import Metrics
from signage.model import FeedConfig
from signage.protocol import INGEST_TOPIC
from signage.store.sqlite import SqliteStore
from tests.conftest import SAMPLES
from tests.helpers import eventually


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[tuple[Intake, Bus]]:
    bus = MemoryBus()
    store = SqliteStore(str(tmp_path / "s.sqlite3"))
    yield Intake(bus, store, Metrics()), bus
    await store.close()
    await bus.close()


async def ingested(bus: Bus) -> list[dict[str, Any]]:
    entries = []
    latest = await bus.latest(INGEST_TOPIC)
    if latest is None:
        return []
    replay = await bus.since(INGEST_TOPIC, 0, latest.epoch)
    for update in replay or []:
        entries.append(update.data)
    return entries


async def test_polls_use_conditional_get_and_back_off_after_failures(aiohttp_server, intake) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []
    failing = {"on": False}
    body = gtfs_rt_alerts({"T1": "Travaux"}, datetime.now(UTC))

    async def feed(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if failing["on"]:
            return web.Response(status=503)
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=body, headers={"ETag": '"v1"', "Content-Type": "application/x-protobuf"})

    app = web.Application()
    app.router.add_get("/tripupdates", feed)
    server = await aiohttp_server(app)
    sink, bus = intake
    config = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5),
                        {"url": str(server.make_url("/tripupdates")), "interval": "30s", "routes": ["T1"]})
    async with aiohttp.ClientSession() as session:
        poller = Poller(config, session, sink)
        await poller.poll_once()
        await poller.poll_once()
        assert "If-None-Match" not in seen[0] and seen[1]["If-None-Match"] == '"v1"'
        entries = await ingested(bus)
        assert len(entries) == 1 and entries[0]["observations"][0]["value"]["disrupted"] is True
        assert poller.next_delay() == 30
        failing["on"] = True
        for _ in range(3):
            await poller.poll_once()
        assert poller.failures == 3
        delays = [poller.next_delay() for _ in range(50)]
        assert min(delays) >= 0.5 * 240 and max(delays) <= 1.5 * 240 and len(set(delays)) > 1  # jittered
        entries = await ingested(bus)
        assert entries[-1]["error"]["reason"] == "HTTP 503 from the producer"
        failing["on"] = False
        await poller.poll_once()
        assert poller.failures == 0 and poller.next_delay() == 30


async def test_a_meteoalarm_atom_feed_brings_each_cap_alert_once(aiohttp_server, intake) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    fetched: list[str] = []

    async def atom(request: web.Request) -> web.Response:
        url = request.url.with_path("/cap/A.xml")
        return web.Response(text=(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>MeteoAlarm FR</title>'
            f'<entry><id>urn:A</id><updated>{now.isoformat()}</updated>'
            f'<link type="application/cap+xml" href="{url}"/></entry></feed>'), content_type="application/atom+xml")

    async def cap(request: web.Request) -> web.Response:
        fetched.append(request.path)
        return web.Response(body=cap_alert("A", now, now + timedelta(hours=3)), content_type="application/cap+xml")

    app = web.Application()
    app.router.add_get("/atom", atom)
    app.router.add_get("/cap/A.xml", cap)
    server = await aiohttp_server(app)
    sink, bus = intake
    config = FeedConfig("cap", "cap", timedelta(days=1), {"url": str(server.make_url("/atom"))})
    async with aiohttp.ClientSession() as session:
        poller = Poller(config, session, sink)
        await poller.poll_once()
        await poller.poll_once()
    assert fetched == ["/cap/A.xml"]
    [entry] = await ingested(bus)
    assert entry["alerts"][0]["id"] == "A" and entry["alerts"][0]["zones"] == ["NUTS3:FR261"]


async def test_meteoalarm_france_is_read_one_cap_document_at_a_time(aiohttp_server, intake) -> None:  # type: ignore[no-untyped-def]
    """The real French feed, served here: twelve entries, two CAP documents. Each document is fetched once; one
    that could not be had (404) is asked again at the next poll, one that was had is not."""
    feed = (SAMPLES / "cap" / "meteoalarm-legacy-atom-france-2022-12-08.xml").read_bytes()
    update = (SAMPLES / "cap" / "meteo-france-vigilance-jaune-avalanches-update-2022-12-07.xml").read_bytes()
    fetched: list[str] = []

    async def atom(request: web.Request) -> web.Response:
        here = str(request.url.with_path("/"))
        return web.Response(body=feed.replace(b"https://feeds.meteoalarm.org/", here.encode()),
                            content_type="application/atom+xml")

    async def document(request: web.Request) -> web.Response:
        fetched.append(request.match_info["uuid"][:8])
        if request.match_info["uuid"] == "2f32f9f9-06df-48aa-b0a0-10493ea07c51":
            return web.Response(body=update, content_type="application/cap+xml")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/feeds/meteoalarm-legacy-atom-france", atom)
    app.router.add_get("/api/v1/warnings/feeds-france/{uuid}", document)
    server = await aiohttp_server(app)
    sink, bus = intake
    config = FeedConfig("meteoalarm", "cap", timedelta(days=1),
                        {"url": str(server.make_url("/feeds/meteoalarm-legacy-atom-france"))})
    async with aiohttp.ClientSession() as session:
        poller = Poller(config, session, sink)
        await poller.poll_once()
        assert fetched == ["04d497d4", "2f32f9f9"]
        await poller.poll_once()
    assert fetched == ["04d497d4", "2f32f9f9", "04d497d4"]
    [entry] = await ingested(bus)
    assert [a["id"] for a in entry["alerts"]] == ["2.49.0.0.250.0.FR.20221207060126.964028"]


async def test_mqtt_messages_from_the_real_broker_become_observations(mqtt_url: str, intake) -> None:  # type: ignore[no-untyped-def]
    import aiomqtt

    sink, bus = intake
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    config = FeedConfig("mqtt", "mqtt", timedelta(minutes=10), {
        "broker": mqtt_url, "topics": [f"{prefix}/parking/+/state"], "key": "parking/{id}",
    })
    runner = MqttRunner(config, sink)
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.wait_for(runner.connected.wait(), timeout=10)
        host, port = mqtt_url.removeprefix("mqtt://").split(":")
        async with aiomqtt.Client(host, int(port)) as client:
            await client.publish(f"{prefix}/parking/Darcy/state", b'{"free": 42, "capacity": 567}', qos=1)
            await client.publish(f"{prefix}/parking/monge/state", b"free|17|capacity|300", qos=1)
            await client.publish(f"{prefix}/parking/tivoli/state", b"free|17|capacity", qos=1)
        async def all_three() -> Any:
            found = await ingested(bus)
            return found if len(found) == 3 else None

        entries = await eventually(all_three)
        observations = [e["observations"][0] for e in entries if "observations" in e]
        assert [(o["key"], o["value"]) for o in observations] == [
            ("parking/darcy", {"free": 42, "capacity": 567}), ("parking/monge", {"free": 17, "capacity": 300})]
        assert "UltraLight needs key|value pairs" in entries[2]["error"]["reason"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize(("content_type", "body", "options"), [
    ("application/json", b'{"results": [{"id": "velo-1", "bikes": 4, "updated": "2026-11-25T08:00:00+01:00"}]}',
     {"records": "results"}),
    ("text/csv", b"id;bikes;updated\nvelo-1;4;2026-11-25T08:00:00+01:00\n", {}),
    ("application/xml", b'<stations><station id="velo-1"><bikes>4</bikes><updated>2026-11-25T08:00:00+01:00'
                        b"</updated></station></stations>", {"records": "station"}),
])
async def test_open_data_json_csv_and_xml_are_polled_with_last_modified(  # type: ignore[no-untyped-def]
        aiohttp_server, intake, content_type: str, body: bytes, options: dict[str, str]) -> None:
    stamp = "Wed, 25 Nov 2026 07:00:00 GMT"
    asked: list[str | None] = []

    async def portal(request: web.Request) -> web.Response:
        asked.append(request.headers.get("If-Modified-Since"))
        if request.headers.get("If-Modified-Since") == stamp:
            return web.Response(status=304)
        return web.Response(body=body, headers={"Last-Modified": stamp, "Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/stations", portal)
    server = await aiohttp_server(app)
    sink, bus = intake
    config = FeedConfig("velos", "http-poll", timedelta(minutes=10), {
        "url": str(server.make_url("/stations")), "key": "bikes/{id}", "fields": {"bikes": "bikes"},
        "time_field": "updated", **options})
    async with aiohttp.ClientSession() as session:
        poller = Poller(config, session, sink)
        await poller.poll_once()
        await poller.poll_once()
    assert asked == [None, stamp]
    [entry] = await ingested(bus)
    [observation] = entry["observations"]
    assert observation["key"] == "bikes/velo-1" and str(observation["value"]["bikes"]) == "4"
    assert observation["observed_at"] == "2026-11-25T07:00:00.000Z"
