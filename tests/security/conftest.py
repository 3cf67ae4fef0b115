"""A city as an attacker meets it: the demo's configuration behind a reverse proxy on 127.0.0.1 (so a test can
speak from any client address, as the proxy would forward it), with a partner feed open only to its own network
and small dead-letter limits, on both backends."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer

from signage.config import demo_config_path
from signage.settings import Settings
from signage.web.errors import SERVER_LIMITS
from signage.web.keys import ENGINE

PROXY = {"trusted_proxies": ["127.0.0.1/32", "::1/128"]}
PARTNER = {"id": "partner", "format": "ngsi-v2", "max_age": "10m", "auth": "token", "allow_from": ["192.0.2.0/24"]}
LETTERS = {"max_count": 3, "max_bytes": "64KiB", "keep": "1h"}


def from_address(address: str) -> dict[str, str]:
    """What the trusted proxy adds for a client at ``address``."""
    return {"X-Forwarded-For": address}


@pytest.fixture
def city(tmp_path: Path) -> Path:
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data.update(PROXY)
    data["feeds"].append(PARTNER)
    for feed in data["feeds"]:
        if feed["id"] == "ngsi":
            feed["dead_letters"] = LETTERS
    path = tmp_path / "city.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def make_client(aiohttp_client: Any, backend_env: dict[str, str | None], city: Path
                ) -> Callable[..., Awaitable[Any]]:
    """An engine in one process (role all) on the chosen backend, with the server's parser limits; settings may
    be overridden."""
    from signage.web.app import create_app

    async def make(**overrides: Any) -> Any:
        settings = Settings(config_path=city, role="all", **{**backend_env, **overrides})
        server = TestServer(create_app(settings))
        await server.start_server(max_line_size=SERVER_LIMITS["max_line_size"],  # as ``signage serve`` does
                                  max_field_size=SERVER_LIMITS["max_field_size"])
        client = await aiohttp_client(server)
        await client.app[ENGINE].started.wait()
        return client

    return make


@pytest.fixture
async def attacked(make_client: Callable[..., Awaitable[Any]]) -> Any:
    return await make_client()
