"""Revoking a panel's token from the command line cuts the panel off everywhere at once: its open stream is
closed within 5 s, its receipts are refused, and it is shown offline.

Guards proven: the token revision watched by every web process (``_feed_access`` → ``PanelStreams.recheck``),
the fresh check of each stream (``_PanelStream.recheck``), and a panel online only with a token it still holds
(``PanelStatus.status``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from signage.web.keys import PANEL_TOKENS
from tests.helpers import next_frame
from tests.security.test_feed_credentials import cli, store_env


async def status_of(client: Any, panel: str) -> dict[str, Any]:
    panels = (await (await client.get("/api/v1/panels")).json())["panels"]
    return next(p["status"] for p in panels if p["id"] == panel)


async def test_a_revoked_panel_is_cut_off_within_five_seconds(
        attacked: Any, backend_env: dict[str, str | None], city: Path) -> None:
    token = await attacked.app[PANEL_TOKENS].issue("darcy")
    ws = await attacked.ws_connect(f"/api/v1/panels/darcy/stream?token={token}")
    shown = await next_frame(ws, lambda f: f["type"] == "content")
    await ws.send_json({"type": "receipt", "etag": shown["etag"]})
    assert (await next_frame(ws, lambda f: f["type"] == "receipt"))["state"] == "shown"
    assert (await status_of(attacked, "darcy"))["online"] is True

    revoked = await asyncio.to_thread(cli, store_env(backend_env), city, "panels", "revoke", "darcy")
    assert revoked.returncode == 0, revoked.stderr

    async def closed() -> aiohttp.WSMessage:
        while True:
            message: aiohttp.WSMessage = await ws.receive()
            if message.type is not aiohttp.WSMsgType.TEXT:
                return message

    message = await asyncio.wait_for(closed(), timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE and message.data == 4001
    receipt = await attacked.post("/api/v1/panels/darcy/receipts", json={"etag": shown["etag"]},
                                  headers={"Authorization": f"Bearer {token}"})
    assert receipt.status == 401
    assert (await status_of(attacked, "darcy"))["online"] is False
    again = await attacked.get(f"/api/v1/panels/darcy/stream?token={token}")
    assert again.status == 401
