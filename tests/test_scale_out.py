"""Two web processes and one engine against a real Redis: an update from the engine reaches clients of both."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import free_port
from tests.helpers import eventually, next_frame, parking_body
from tests.processes import feed_token, signage_process


async def test_engine_updates_reach_websocket_clients_on_every_web_process(
        redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    env = {"SIGNAGE_REDIS_URL": redis_url, "SIGNAGE_REDIS_PREFIX": redis_prefix}
    engine_port, web1, web2 = free_port(), free_port(), free_port()
    with (
        signage_process(["serve", "--config", "demo", "--role", "engine", "--port", str(engine_port)],
                        engine_port, env, tmp_path),
        signage_process(["serve", "--config", "demo", "--role", "web", "--port", str(web1)], web1, env, tmp_path),
        signage_process(["serve", "--config", "demo", "--role", "web", "--port", str(web2)], web2, env, tmp_path),
    ):
        await check_fan_out(engine_port, web1, web2, feed_token("ngsi", env))


async def check_fan_out(engine_port: int, web1: int, web2: int, token: str) -> None:
    async with aiohttp.ClientSession() as http:
        clients = []
        for port in (web1, web2):
            ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws")
            await ws.send_json({"type": "subscribe", "topics": ["parking/darcy", "panel/darcy"]})
            clients.append(ws)
        for ws in clients:  # both answer subscribed for both topics
            for _ in range(2):
                await next_frame(ws, lambda f: f["type"] == "subscribed")
        # The delivery goes to the first web process only; the single engine turns it into publications.
        for park, free in (("darcy", 33), ("dauphine", 300), ("grangier", 200)):
            async with http.post(f"http://127.0.0.1:{web1}/feeds/ngsi", data=parking_body(park, free),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"}) as response:
                assert response.status == 202
        for ws in clients:
            parking = await next_frame(ws, lambda f: f["type"] == "update" and f["topic"] == "parking/darcy",
                                       timeout=15)
            assert parking["data"]["free"] == 33
            panel = await next_frame(ws, lambda f: f["type"] == "update" and f["topic"] == "panel/darcy"
                                     and "Darcy 33 pl" in json.dumps(f["data"]), timeout=15)
            assert panel["data"]["multi"].startswith("[jl3]Darcy 33 pl")
            await ws.close()
        async with http.get(f"http://127.0.0.1:{web2}/api/v1/panels/darcy/content?format=multi") as response:
            assert "Darcy 33 pl" in await response.text()
        # A web process has no pipeline: it answers "why" from what the engine published.
        async def explained() -> dict[str, Any] | None:
            async with http.get(f"http://127.0.0.1:{web2}/api/v1/panels/darcy/explain") as response:
                found = await response.json() if response.status == 200 else None
            return found if found and found["shown"][0]["id"] == "rule:parking-centre" else None

        explanation = await eventually(explained, what="the why read from what the engine published")
        values = {v["key"]: v for v in explanation["values"]}
        assert values["parking/darcy"]["value"]["free"] == 33 and values["parking/darcy"]["age_s"] >= 0
        async with http.get(f"http://127.0.0.1:{engine_port}/readyz") as response:
            assert (await response.json())["checks"]["engine"] is True
        async with http.get(f"http://127.0.0.1:{engine_port}/api/v1/panels") as response:
            assert response.status == 404  # the engine process serves no public API
        await asyncio.sleep(0)
