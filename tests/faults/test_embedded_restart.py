"""The embedded deployment (one process, SQLite, no Redis) killed with ``kill -9`` and started again on the same
folder: a broadcast and a published template version are back on the panels, and the subscription count too."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from signage.cli import _new_vapid_private_key
from tests.conftest import free_port
from tests.helpers import eventually, parking_body
from tests.processes import feed_token, signage_process
from tests.push_service import subscriber_info

SPEC = {"variants": {"fr": {"title": "Stationnement", "lines": ["{{ a_name }} : {{ a_free }} libres"]},
                     "en": {"title": "Parking", "lines": ["{{ a_name }}: {{ a_free }} free"]}}}


def staff_token(env: dict[str, str], username: str, role: str) -> dict[str, str]:
    run_env = {**os.environ, **env, "SIGNAGE_STAFF_PASSWORD": "correct horse battery staple 42"}
    subprocess.run([sys.executable, "-m", "signage", "staff", "add", username, "--role", role], env=run_env,
                   check=True, capture_output=True, timeout=60)
    done = subprocess.run([sys.executable, "-m", "signage", "staff", "token", username], env=run_env, check=True,
                          capture_output=True, text=True, timeout=60)
    return {"Authorization": f"Bearer {done.stdout.strip()}"}


def checkpointed(database: Path, text: str) -> bool:
    """Whether the engine's checkpoint in the SQLite file mentions ``text``."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT doc FROM documents WHERE kind = 'engine' AND id = 'checkpoint'").fetchone()
    return row is not None and text in row[0]


async def test_an_embedded_engine_killed_comes_back_with_what_staff_decided(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    env = {"SIGNAGE_SQLITE_PATH": str(database), "SIGNAGE_VAPID_PRIVATE_KEY": _new_vapid_private_key(),
           "SIGNAGE_VAPID_SUBJECT": "mailto:ops@example.org", "SIGNAGE_PUSH_SERVICES": "http://127.0.0.1:*"}
    editor, approver = staff_token(env, "camille", "editor"), staff_token(env, "dominique", "approver")
    ngsi = {"Authorization": f"Bearer {feed_token('ngsi', env)}", "Content-Type": "application/json"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async def content(panel: str) -> Any:
            async with http.get(f"{base}/api/v1/panels/{panel}/content?format=json") as response:
                return await response.json()

        async def shows(panel: str, text: str) -> bool:
            return text in str(await content(panel))

        with signage_process(["serve", "--config", "demo", "--role", "all", "--port", str(port)], port, env,
                             tmp_path) as first:
            for park, free in (("darcy", 120), ("dauphine", 300), ("grangier", 40)):
                async with http.post(f"{base}/feeds/ngsi", data=parking_body(park, free), headers=ngsi) as r:
                    assert r.status == 202
            body = {**subscriber_info("http://127.0.0.1:9", "ines"), "topics": ["alerts/dijon"], "language": "fr"}
            async with http.post(f"{base}/api/v1/push/subscriptions", json=body) as response:
                assert response.status == 201
            versions = f"{base}/api/v1/admin/templates/parking-guidance/versions"
            async with http.post(versions, json=SPEC, headers=editor) as response:
                number = (await response.json())["number"]
            for action, who in (("submit", editor), ("approve", approver)):
                async with http.post(f"{versions}/{number}/{action}", headers=who) as response:
                    assert response.status == 200, await response.text()
            await eventually(lambda: shows("gare", "Stationnement"), timeout=15, what="the version published")
            await eventually(lambda: checkpointed(database, "Grangier"), timeout=10, what="a checkpoint")
            broadcast = {"title": "Marché de Noël", "lines": ["Place Darcy", "jusqu'au 31"],
                         "targets": {"panels": ["darcy"]}}
            async with http.post(f"{base}/api/v1/admin/broadcasts", headers=editor, json=broadcast) as response:
                assert response.status == 201, await response.text()
            first.kill()  # at once: maybe before the engine checkpointed the broadcast
            first.wait()
        with signage_process(["serve", "--config", "demo", "--role", "all", "--port", str(port)], port, env,
                             tmp_path):
            await eventually(lambda: shows("darcy", "Marché de Noël"), timeout=15, what="the broadcast back")
            assert await shows("gare", "Stationnement")  # the published version, not the file's text
            assert await shows("gare", "Darcy : 120 libres")  # the live values kept in the checkpoint
            async with http.get(f"{base}/metrics") as response:
                assert "signage_push_subscriptions 1.0" in await response.text()
