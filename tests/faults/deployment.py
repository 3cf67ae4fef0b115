"""A deployment as a city runs it, for fault tests: real ``signage`` processes on one Redis, a local push service
that decrypts what it gets, WebSocket clients that record every frame, and ways to kill any part of it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from signage.cli import _new_vapid_private_key
from tests.conftest import free_port
from tests.helpers import no_quiet_config
from tests.processes import feed_token, signage_process
from tests.push_service import PushServiceState, local_push_service, subscriber_info


@dataclass
class Deployment:
    tmp_path: Path
    env: dict[str, str]
    config: Path
    push: PushServiceState = field(default_factory=PushServiceState)
    push_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def start(self, name: str, role: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``signage serve --role ROLE`` as ``name`` (a new port each time) and wait until it answers."""
        port = self.ports[name] = free_port()
        process = self._stack.enter_context(signage_process(
            ["serve", "--config", str(self.config), "--role", role, "--port", str(port)], port,
            {**self.env, **(extra_env or {})}, self.tmp_path))
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        """``kill -9``: no goodbye, nothing flushed."""
        process = self.processes[name]
        process.kill()
        process.wait()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def token(self, feed: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {feed_token(feed, self.env, str(self.config))}"}

    async def subscribe_phone(self, http: aiohttp.ClientSession, web_name: str, phone: str, topics: list[str],
                              language: str = "fr") -> None:
        body = {**subscriber_info(self.push_url, phone), "topics": topics, "language": language}
        async with http.post(f"{self.url(web_name)}/api/v1/push/subscriptions", json=body) as response:
            assert response.status == 201, await response.text()

    def close(self) -> None:
        self._stack.close()


@contextlib.asynccontextmanager
async def deployment(tmp_path: Path, redis_url: str, redis_prefix: str) -> AsyncIterator[Deployment]:
    """Processes sharing ``redis_url`` under ``redis_prefix``, and a local push service."""
    state = PushServiceState()
    runner = web.AppRunner(local_push_service(state))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    env = {"SIGNAGE_REDIS_URL": redis_url, "SIGNAGE_REDIS_PREFIX": redis_prefix,
           "SIGNAGE_VAPID_PRIVATE_KEY": _new_vapid_private_key(), "SIGNAGE_VAPID_SUBJECT": "mailto:ops@example.org",
           "SIGNAGE_PUSH_SERVICES": "http://127.0.0.1:*", "SIGNAGE_PUSH_RECLAIM_S": "2"}
    setup = Deployment(tmp_path, env, no_quiet_config(tmp_path), state, f"http://127.0.0.1:{port}")
    try:
        yield setup
    finally:
        await asyncio.to_thread(setup.close)
        await runner.cleanup()


class Recorder:
    """A WebSocket client that keeps every update it gets, per topic, in order."""

    def __init__(self) -> None:
        self.updates: dict[str, list[dict[str, Any]]] = {}
        self.subscribed: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def follow(self, http: aiohttp.ClientSession, base: str, topics: list[str]) -> None:
        ws = await http.ws_connect(f"{base}/ws")
        await ws.send_json({"type": "subscribe", "topics": topics})
        self._task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            frame = json.loads(message.data)
            if frame["type"] == "update":
                self.updates.setdefault(frame["topic"], []).append(frame)
            elif frame["type"] == "subscribed":
                self.subscribed.append(frame)

    def of(self, topic: str) -> list[dict[str, Any]]:
        return self.updates.get(topic, [])

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def duplicates(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frames that carry what the one before them on the topic already carried."""
    return [b for a, b in itertools.pairwise(frames) if a["data"] == b["data"]]
