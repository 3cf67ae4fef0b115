"""The configuration is reloaded without a restart; a bad edit is refused and the running one stays."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from signage.config import demo_config_path
from signage.feed_runners import MqttRunner
from signage.settings import Settings
from signage.web.app import create_app
from signage.web.keys import ENGINE, RUNNERS
from tests.helpers import eventually


async def shows(client: Any, url: str, needle: str) -> bool:
    return needle in await (await client.get(url)).text()


async def refused_edit(client: Any) -> dict[str, Any] | None:
    """The configuration state once a refused edit is reported, else None."""
    config: dict[str, Any] = (await (await client.get("/readyz")).json())["config"]
    return config if config["errors"] else None


async def test_an_edited_configuration_takes_effect_without_a_restart(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "city.yaml"
    original = demo_config_path().read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    settings = Settings(config_path=path, sqlite_path=str(tmp_path / "s.sqlite3"), config_poll_s=0.05)
    client = await aiohttp_client(create_app(settings))
    await client.app[ENGINE].started.wait()
    url = "/api/v1/panels/chu/content?format=multi"
    assert "CHU Dijon Bourgogne" in await (await client.get(url)).text()

    path.write_text(original.replace("name: CHU Dijon Bourgogne", "name: Hôpital François Mitterrand"),
                    encoding="utf-8")
    await eventually(lambda: shows(client, url, "Hôpital François"))
    assert (await (await client.get("/readyz")).json())["config"] == {"version": 2, "errors": []}

    broken = original.replace("profile: char-3x20\n    tags: [tram]", "profile: char-9x99\n    tags: [tram]")
    path.write_text(broken, encoding="utf-8")
    config = await eventually(lambda: refused_edit(client))
    assert config["version"] == 2
    assert any("city.yaml:69: panels[4].profile: unknown profile 'char-9x99'" in e for e in config["errors"]), config
    assert await shows(client, url, "Hôpital François")  # still running the last good configuration


class _Wall(asyncio.DatagramProtocol):
    """A pixel wall listening for DDP: it keeps every packet it is sent."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)


def subscribed(client: Any) -> bool:
    runner = client.app[RUNNERS].get("mqtt")
    return isinstance(runner, MqttRunner) and runner.connected.is_set()


def _bikes(feed_id: str, url: str) -> dict[str, Any]:
    return {"id": feed_id, "format": "http-poll", "max_age": "10m", "interval": "0.2s", "url": url,
            "records": "results", "key": "bikes/{id}", "fields": {"bikes": "bikes"}}


async def test_an_edit_reaches_pollers_mqtt_and_pixel_walls_without_a_restart(  # type: ignore[no-untyped-def]
        aiohttp_client, aiohttp_server, mqtt_url: str, tmp_path: Path) -> None:
    """The README promises an edit takes effect within two seconds: feeds added are polled, the MQTT feed given a
    broker subscribes, a pixel wall added is fed frames; a feed removed stops being polled; the rest runs on."""
    import aiomqtt
    from aiohttp import web

    polls: list[str] = []

    async def stations(request: web.Request) -> web.Response:
        polls.append(request.path)
        return web.json_response({"results": [{"id": "velo-1", "bikes": 4}]})

    portal = web.Application()
    portal.router.add_get("/stations", stations)
    portal.router.add_get("/other-stations", stations)
    server = await aiohttp_server(portal)
    transport, wall = await asyncio.get_running_loop().create_datagram_endpoint(
        _Wall, local_addr=("127.0.0.1", 0))
    wall_port = transport.get_extra_info("sockname")[1]

    path = tmp_path / "city.yaml"
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    client = await aiohttp_client(create_app(Settings(config_path=path, sqlite_path=str(tmp_path / "s.sqlite3"),
                                                      config_poll_s=0.05)))
    await client.app[ENGINE].started.wait()
    assert client.app[RUNNERS] == {}  # the demo's feeds all deliver: it fetches nothing itself

    prefix = f"reload-{uuid.uuid4().hex[:8]}"
    data["feeds"] += [_bikes("velos", str(server.make_url("/stations"))),
                      _bikes("velos-sud", str(server.make_url("/other-stations")))]
    mqtt = next(feed for feed in data["feeds"] if feed["id"] == "mqtt")
    mqtt.update(broker=mqtt_url, topics=[f"{prefix}/parking/+/state"])
    data["panels"].append({"id": "wall", "name": "Mur", "lat": 47.32, "lon": 5.04, "zone": "dijon-centre",
                           "profile": "full-96x32-amber", "stream": f"ddp://127.0.0.1:{wall_port}"})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    await eventually(lambda: {"/stations", "/other-stations"} <= set(polls), what="both new feeds polled")
    await eventually(lambda: wall.packets, what="frames on the new pixel wall")
    assert wall.packets[0][0] & 0xC0 == 0x40  # DDP version 1
    await eventually(lambda: subscribed(client), what="the MQTT feed subscribed")
    host, port = mqtt_url.removeprefix("mqtt://").split(":")
    async with aiomqtt.Client(host, int(port)) as sensors:
        await sensors.publish(f"{prefix}/parking/darcy/state", b'{"free": 42, "capacity": 567}', qos=1)

    async def darcy_has_42() -> bool:
        items = (await (await client.get("/api/v1/open/parking")).json())["items"]
        return any(item["id"] == "darcy" and item["free"] == 42 for item in items)

    await eventually(darcy_has_42)

    data["feeds"] = [feed for feed in data["feeds"] if feed["id"] != "velos"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    await eventually(lambda: "velos" not in client.app[RUNNERS], what="the removed feed's poller stopped")
    stopped_at, others = polls.count("/stations"), polls.count("/other-stations")
    # The feed that stays is polled twice more: time enough for the removed one to have been polled, had it run.
    await eventually(lambda: polls.count("/other-stations") >= others + 2, what="the remaining feed polled on")
    assert polls.count("/stations") == stopped_at
    assert subscribed(client)  # untouched by an edit that did not change it
    transport.close()
