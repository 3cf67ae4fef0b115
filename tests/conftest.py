"""Shared fixtures: real Redis (started if none answers), the real samples, the demo configuration."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from signage.config import Config, demo_config_path, load_config

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "fixtures" / "samples"  # byte-for-byte copies of the public samples, with SOURCES.md


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: SIGNAGE_TEST_REDIS_URL, the local one, or one started here. Never skipped."""
    configured = os.environ.get("SIGNAGE_TEST_REDIS_URL")
    if configured:
        if not _answers(configured):
            pytest.fail(f"SIGNAGE_TEST_REDIS_URL={configured} does not answer")
        yield configured
        return
    if _answers("redis://127.0.0.1:6379/0"):
        yield "redis://127.0.0.1:6379/0"
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("no Redis answers and redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with _server([server, "--port", str(port), "--save", "", "--appendonly", "no"], lambda: _answers(url)):
        yield url


@contextmanager
def _server(command: list[str], ready: Callable[[], bool]) -> Iterator[None]:
    """Start a service for the tests, wait until it answers, and stop it at the end."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not ready():
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{command[0]} did not start within 10 s")
        time.sleep(0.05)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are removed afterwards."""
    prefix = f"signage-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def demo_config() -> Config:
    return load_config(demo_config_path())


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend_env(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str | None]:
    """Settings overrides for the chosen backend: nothing for the embedded one, a Redis URL and prefix else."""
    if backend == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        return {"redis_url": url, "redis_prefix": prefix, "sqlite_path": str(tmp_path / "unused.sqlite3")}
    return {"redis_url": None, "redis_prefix": "x:", "sqlite_path": str(tmp_path / "store.sqlite3")}


@pytest.fixture
async def client(aiohttp_client, backend_env: dict[str, str | None]):  # type: ignore[no-untyped-def]
    """The whole engine in one process (role all) on the chosen backend, with an HTTP/WebSocket test client."""
    from signage.settings import Settings
    from signage.web.app import create_app

    settings = Settings(config_path=demo_config_path(), role="all", **backend_env)  # type: ignore[arg-type]
    test_client = await aiohttp_client(create_app(settings))
    from signage.web.keys import ENGINE

    await test_client.app[ENGINE].started.wait()
    return test_client


CHROMIUM = os.environ.get("SIGNAGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
async def browser():  # type: ignore[no-untyped-def]
    """Debian's chromium driven by Playwright. A missing browser is a failure, never a skip."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the test scripts do)")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        await instance.close()


def _mqtt_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """A real MQTT broker: the local Mosquitto, or one started here. Never skipped."""
    if _mqtt_answers(1883):
        yield "mqtt://127.0.0.1:1883"
        return
    server = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if server is None:
        pytest.fail("no MQTT broker answers and mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    with _server([server, "-p", str(port)], lambda: _mqtt_answers(port)):
        yield f"mqtt://127.0.0.1:{port}"


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the browser tests save their screenshots: a temporary folder, or ``docs/screenshots`` (the README's
    pictures) when asked for with ``SIGNAGE_SCREENSHOTS=docs``, so that a test run never rewrites tracked files."""
    if os.environ.get("SIGNAGE_SCREENSHOTS") == "docs":
        return ROOT / "docs" / "screenshots"
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder
