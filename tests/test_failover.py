"""The whole deployment on a real Redis: two web processes, one engine, two push workers. A web process is
killed: its clients reconnect to the other and recover exactly what they missed; push workers share the push
work, and when one is killed the other carries on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from signage.cli import _new_vapid_private_key
from signage.config import demo_config_path
from signage.demo.payloads import cap_alert
from signage.work_queue.redis import RedisWorkQueue
from tests.conftest import free_port
from tests.helpers import eventually, next_frame, parking_body
from tests.processes import feed_token, signage_process
from tests.push_service import PushServiceState, local_push_service, subscriber_info


def is_update(topic: str) -> Any:
    return lambda f: f["type"] == "update" and f["topic"] == topic


async def test_a_killed_web_process_loses_nothing_and_push_workers_share_the_work(
        redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["push"] = {"quiet_hours": "none", "min_interval": "0s"}  # independent of the hour the test runs
    config = tmp_path / "city.yaml"
    config.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    state = PushServiceState()
    runner = web.AppRunner(local_push_service(state))
    await runner.setup()
    service_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", service_port).start()
    service = f"http://127.0.0.1:{service_port}"
    env = {"SIGNAGE_REDIS_URL": redis_url, "SIGNAGE_REDIS_PREFIX": redis_prefix,
           "SIGNAGE_VAPID_PRIVATE_KEY": _new_vapid_private_key(), "SIGNAGE_VAPID_SUBJECT": "mailto:ops@example.org",
           "SIGNAGE_PUSH_SERVICES": "http://127.0.0.1:*", "SIGNAGE_PUSH_RECLAIM_S": "2"}
    ports = {name: free_port() for name in ("engine", "web1", "web2", "push1", "push2")}

    def start(name: str, role: str) -> Any:
        return signage_process(["serve", "--config", str(config), "--role", role, "--port", str(ports[name])],
                               ports[name], env, tmp_path)

    try:
        with start("engine", "engine"), start("web2", "web"), start("push1", "push") as push1, \
                start("push2", "push"), start("web1", "web") as web1:
            base1, base2 = (f"http://127.0.0.1:{ports[n]}" for n in ("web1", "web2"))
            ngsi = {"Authorization": f"Bearer {feed_token('ngsi', env, str(config))}"}
            cap = {"Authorization": f"Bearer {feed_token('cap', env, str(config))}"}
            async with aiohttp.ClientSession() as http:
                async def deliver(base: str, free: int) -> None:
                    async with http.post(f"{base}/feeds/ngsi", data=parking_body("darcy", free),
                                         headers={"Content-Type": "application/json", **ngsi}) as response:
                        assert response.status == 202

                ws = await http.ws_connect(f"{base1}/ws")
                await ws.send_json({"type": "subscribe", "topics": ["parking/darcy"]})
                await next_frame(ws, lambda f: f["type"] == "subscribed")
                await deliver(base1, 40)
                seen = await next_frame(ws, lambda f: is_update("parking/darcy")(f) and f["data"]["free"] == 40,
                                        timeout=15)

                web1.kill()  # no goodbye: the process is gone
                web1.wait()
                for free in (41, 42, 43):  # published while the client has no connection
                    await deliver(base2, free)

                    async def darcy_at(free: int = free) -> bool:
                        async with http.get(f"{base2}/api/v1/open/parking") as response:
                            items = (await response.json())["items"]
                        return any(item["id"] == "darcy" and item["free"] == free for item in items)

                    # Each published before the next arrives (deliveries waiting together are one step, and
                    # only their end is published): three updates the phone missed.
                    await eventually(darcy_at, timeout=20, what=f"the missed update {free} published")

                again = await http.ws_connect(f"{base2}/ws")
                await again.send_json({"type": "subscribe", "topics": ["parking/darcy"],
                                       "since": {"parking/darcy": {"offset": seen["offset"], "epoch": seen["epoch"]}}})
                subscribed = await next_frame(again, lambda f: f["type"] == "subscribed", timeout=15)
                assert subscribed["recovered"] is True
                recovered = [await next_frame(again, is_update("parking/darcy"), timeout=15) for _ in range(3)]
                assert [f["data"]["free"] for f in recovered] == [41, 42, 43]
                assert [f["offset"] for f in recovered] == [seen["offset"] + n for n in (1, 2, 3)]
                await again.close()

                # Push: two phones, an alert, each phone gets it once, decrypted to the right text.
                for name, language in (("ines", "fr"), ("jack", "en")):
                    body = {**subscriber_info(service, name), "topics": ["alerts/cote-d-or"], "language": language}
                    async with http.post(f"{base2}/api/v1/push/subscriptions", json=body) as response:
                        assert response.status == 201, await response.text()
                now = datetime.now(UTC)
                async with http.post(f"{base2}/feeds/cap", data=cap_alert(
                        "FO1", now, now + timedelta(hours=3), headline_fr="Crue de l'Ouche",
                        headline_en="Ouche river flood"), headers=cap) as response:
                    assert response.status == 202
                await eventually(lambda: {r.name for r in state.received} == {"ines", "jack"}, timeout=20)
                texts = {r.name: r.json()["body"] for r in state.received}
                assert "Crue de l'Ouche" in texts["ines"] and "Ouche river flood" in texts["jack"]

                jobs = RedisWorkQueue(redis_url, redis_prefix)

                async def every_job_acknowledged() -> bool:
                    return await jobs.pending() == 0

                # The first alert's jobs all acknowledged: a worker killed between a send and its acknowledgement
                # may have it sent again (at least once, by design); here the kill is between alerts.
                await eventually(every_job_acknowledged, timeout=20)
                push1.kill()  # one worker dies; the other carries the next alert
                push1.wait()
                async with http.post(f"{base2}/feeds/cap", data=cap_alert(
                        "FO2", now, now + timedelta(hours=3), headline_fr="Orages violents",
                        headline_en="Severe thunderstorms"), headers=cap) as response:
                    assert response.status == 202
                await eventually(lambda: len(state.received) == 4, timeout=20)
                await eventually(every_job_acknowledged, timeout=20)  # nothing left that could send again
                await jobs.close()
                assert sorted(r.name for r in state.received) == ["ines", "ines", "jack", "jack"]  # once each
                assert state.problems == []
    finally:
        await runner.cleanup()
