"""Process lifecycle: SIGTERM is graceful; the demo starts in seconds and its city lives."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import free_port
from tests.helpers import eventually, next_frame, parking_body
from tests.processes import feed_token, signage_process


async def test_sigterm_closes_websockets_with_1001_flushes_the_store_and_exits_0(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "store.sqlite3"
    env = {"SIGNAGE_SQLITE_PATH": str(database)}
    with signage_process(["serve", "--config", "demo", "--port", str(port)], port, env, tmp_path) as process:
        auth = {"Authorization": f"Bearer {feed_token('ngsi', env)}"}
        async with aiohttp.ClientSession() as http:
            for park, free in (("darcy", 12), ("dauphine", 300), ("grangier", 200)):
                async with http.post(f"http://127.0.0.1:{port}/feeds/ngsi", data=parking_body(park, free),
                                     headers=auth) as r:
                    assert r.status == 202
            async with http.post(f"http://127.0.0.1:{port}/feeds/ngsi", data=b'{"data": [{"id": 7}]}',
                                 headers=auth) as refused:  # kept as a dead letter: written just before the end
                assert refused.status == 400
                letter = (await refused.json())["error"]["dead_letter"]
            ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws")
            await ws.send_json({"type": "subscribe", "topics": ["panel/darcy"]})
            await next_frame(ws, lambda f: f["type"] == "update" and "Darcy 12 pl" in str(f["data"])
                             and "Grangier 200" in str(f["data"]), timeout=10)
            process.send_signal(signal.SIGTERM)
            message = await ws.receive(timeout=10)
            while message.type is aiohttp.WSMsgType.TEXT:  # an update already on its way may come first
                message = await ws.receive(timeout=10)
            assert message.type is aiohttp.WSMsgType.CLOSE and message.data == 1001
            assert process.wait(timeout=15) == 0
    with sqlite3.connect(database) as db:  # what the server stored is on disk, the WAL folded in
        rows = db.execute("SELECT id FROM documents WHERE kind = 'dead_letters'").fetchall()
    assert rows == [(letter,)] and letter.startswith("ngsi:")
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0


async def test_the_demo_starts_prints_its_urls_and_the_city_lives(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    with signage_process(["demo", "--port", str(port), "--speed", "120"], port, None, tmp_path) as process:
        assert time.monotonic() - started < 15
        assert process.stdout is not None
        banner = process.stdout.readline().decode()
        assert f"http://localhost:{port}/" in banner  # one host name throughout
        while not (line := process.stdout.readline().decode()).startswith("  console:"):
            assert line, "the demo prints its console address and accounts"
        password = line.rsplit(": ", 1)[1].strip()
        assert f"http://localhost:{port}/admin" in line
        assert sign_in_status(port, "relecture", password) == 303  # a demo account signs in
        assert sign_in_status(port, "relecture", password + "x") == 401
        seen: set[str] = set()

        def changed_twice() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/panels/darcy/content?format=multi") as r:
                text = r.read().decode()
            if " pl" in text:
                seen.add(text)
            return len(seen) >= 2

        # Simulated NGSI deliveries went through the real feed endpoint and changed the sign more than once.
        await eventually(changed_twice, timeout=20)
        # Every simulated producer authenticates like a real one: each feed it sends to accepts its deliveries,
        # none is refused for who sent it.
        senders = ("ngsi", "ngsi-ld", "gtfs-rt", "siri", "datex2", "mqtt", "atmo", "webhook")

        def every_sender_delivered() -> Any:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/feeds") as r:
                found = {f["feed"]: f for f in json.loads(r.read())["feeds"]}
            return found if all(found[feed]["deliveries"] > 0 for feed in senders) else None

        report = await eventually(every_sender_delivered, timeout=30)
        assert {feed: report[feed]["status"] for feed in senders} == dict.fromkeys(senders, "ok")
        assert all(f["unauthenticated"] == 0 and f["rejected"] == 0 for f in report.values()), report

        # The demo's panels behave as real ones: each polls or streams with its token and confirms what it shows.
        def every_panel_confirms() -> Any:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/panels") as r:
                panels = json.loads(r.read())["panels"]
            return panels if all(p["status"]["online"] and p["status"]["last_receipt"] for p in panels) else None

        panels = await eventually(every_panel_confirms, timeout=20)
        assert {p["status"]["via"] for p in panels} == {"receipt", "stream"}
        assert not any(p["status"]["drift"] for p in panels)


def sign_in_status(port: int, username: str, password: str) -> int:
    """Sign in to the console as a browser does (the form's CSRF token in a field and a cookie)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/admin/login")
    form = connection.getresponse()
    token = form.read().decode().split('name="csrf" value="', 1)[1].split('"', 1)[0]
    cookie = form.getheader("Set-Cookie", "").split(";", 1)[0]
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf": token})
    connection.request("POST", "/admin/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                      "Cookie": cookie})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer.status
