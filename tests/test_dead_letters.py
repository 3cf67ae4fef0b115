"""A refused delivery is kept whole with its reason, and ``signage feeds retry`` sends it again after a fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from signage.config import demo_config_path
from signage.demo.payloads import cap_alert
from tests.conftest import free_port
from tests.helpers import eventually
from tests.processes import feed_token, signage_process


async def test_retry_after_a_mapping_fix(tmp_path: Path) -> None:
    config = tmp_path / "city.yaml"
    demo = demo_config_path().read_text(encoding="utf-8")
    mistaken = demo.replace("  - id: cap\n    format: cap", "  - id: cap\n    format: ngsi-v2").replace(
        "    senders: [vigilance@meteo.fr]\n", "")
    assert mistaken != demo
    config.write_text(mistaken, encoding="utf-8")
    env = {"SIGNAGE_SQLITE_PATH": str(tmp_path / "store.sqlite3")}
    port = free_port()
    now = datetime.now(UTC)
    alert = cap_alert("FR-RETRY-1", now, now + timedelta(hours=2))
    with signage_process(["serve", "--config", str(config), "--port", str(port)], port, env, tmp_path):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/feeds/cap", data=alert, method="POST",
                                         headers={"Content-Type": "application/cap+xml", "Authorization":
                                                  f"Bearer {feed_token('cap', env, str(config))}"})
        try:
            urllib.request.urlopen(request)
            raise AssertionError("the mistaken mapping accepted CAP")
        except urllib.error.HTTPError as refused:
            error = json.loads(refused.read())["error"]
            assert refused.code == 400 and "not JSON" in error["message"] and error["dead_letter"]

        def feeds(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "signage", "feeds", *args, "--config", str(config),
                                   "--url", f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                                  timeout=60, env={**os.environ, **env}, check=False)

        listed = [json.loads(line) for line in feeds("dead-letters").stdout.splitlines()]
        assert [(d["feed"], d["code"], d["bytes"]) for d in listed] == [("cap", "bad_payload", len(alert))]

        config.write_text(demo, encoding="utf-8")  # the fix; the server reloads it by itself

        def reloaded() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as response:
                return bool(json.loads(response.read())["config"]["version"] == 2)

        await eventually(reloaded, timeout=15)
        retried = feeds("retry")
        assert retried.returncode == 0, retried.stderr
        assert "1 accepted, 0 refused again" in retried.stderr
        assert feeds("dead-letters").stdout == ""

        def alert_shown() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/panels/darcy/content?format=multi") as r:
                return "ALERTE" in r.read().decode()

        await eventually(alert_shown, timeout=15, what="the retried alert on the panel")
