"""The demo's street panels, behaving as real ones do: each with a token of its own, LED signs poll their MULTI
(``If-None-Match``, so an unchanged face costs a 304) and confirm what they light; kiosks hold their stream open,
beat, and confirm each content they are sent. The control room then shows a working city: panels online, the
last receipt of each, and drift if one stopped following."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

__all__ = ["StreetPanels"]

log = logging.getLogger("signage.demo")
POLL_S = 2.0  # as a sign controller polls
HEARTBEAT_S = 20.0
RETRY_S = 2.0


class StreetPanels:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, tokens: dict[str, str],
                 kiosks: frozenset[str]) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._tokens = tokens  # panel -> its token
        self._kiosks = kiosks

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for panel_id in sorted(self._tokens):
                group.create_task(self._stream(panel_id) if panel_id in self._kiosks else self._poll(panel_id))

    def _auth(self, panel_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens[panel_id]}"}

    async def _poll(self, panel_id: str) -> None:
        url = f"{self._base}/api/v1/panels/{panel_id}"
        shown = ""
        while True:
            try:
                headers = {**self._auth(panel_id), **({"If-None-Match": shown} if shown else {})}
                async with self._session.get(f"{url}/content?format=multi", headers=headers) as response:
                    if response.status == 200:
                        await response.read()  # lit on the sign, then confirmed
                        shown = response.headers.get("ETag", "")
                        async with self._session.post(f"{url}/receipts", json={"etag": shown},
                                                      headers=self._auth(panel_id)) as receipt:
                            await receipt.read()
            except aiohttp.ClientError as exc:
                log.debug("demo panel %s: %s", panel_id, exc)
            await asyncio.sleep(POLL_S)

    async def _stream(self, panel_id: str) -> None:
        url = f"{self._base}/api/v1/panels/{panel_id}/stream"
        while True:
            try:
                async with self._session.ws_connect(url, headers=self._auth(panel_id),
                                                    heartbeat=HEARTBEAT_S) as ws:
                    beating = asyncio.create_task(self._beat(ws))
                    try:
                        async for message in ws:
                            if message.type is not aiohttp.WSMsgType.TEXT:
                                continue
                            frame = message.json()
                            if frame.get("type") == "content":
                                await ws.send_json({"type": "receipt", "etag": frame["etag"]})
                    finally:
                        beating.cancel()
            except (aiohttp.ClientError, ValueError) as exc:
                log.debug("demo kiosk %s: %s", panel_id, exc)
            await asyncio.sleep(RETRY_S)

    @staticmethod
    async def _beat(ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            await ws.send_json({"type": "heartbeat"})
            await asyncio.sleep(HEARTBEAT_S)
