"""The configuration is reloaded without a restart; a bad edit is refused and the running one stays."""

from __future__ import annotations

import asyncio
from pathlib import Path

from signage.config import demo_config_path
from signage.settings import Settings
from signage.web.app import create_app
from signage.web.keys import ENGINE


async def wait_for_text(client, url: str, needle: str, present: bool = True) -> str:  # type: ignore[no-untyped-def]
    text = ""
    for _ in range(100):
        text = str(await (await client.get(url)).text())
        if (needle in text) == present:
            return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} {'never appeared' if present else 'stayed'} in {text!r}")


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
    await wait_for_text(client, url, "Hôpital François")
    assert (await (await client.get("/readyz")).json())["config"] == {"version": 2, "errors": []}

    broken = original.replace("profile: char-3x20\n    tags: [tram]", "profile: char-9x99\n    tags: [tram]")
    path.write_text(broken, encoding="utf-8")
    for _ in range(100):
        config = (await (await client.get("/readyz")).json())["config"]
        if config["errors"]:
            break
        await asyncio.sleep(0.05)
    assert config["version"] == 2
    assert any("city.yaml:69: panels[4].profile: unknown profile 'char-9x99'" in e for e in config["errors"]), config
    await wait_for_text(client, url, "Hôpital François")  # still running the last good configuration
