"""Small helpers the web tests share: receive the next frame of a kind, post a demo delivery."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from signage.demo.payloads import CAR_PARKS, parking_notification

PARKS = {p.id: p for p in CAR_PARKS}


async def next_frame(ws: Any, predicate: Any = lambda f: True, timeout: float = 5.0) -> dict[str, Any]:
    """The next JSON frame for which ``predicate`` holds (earlier ones are skipped)."""
    async def find() -> dict[str, Any]:
        while True:
            message = await ws.receive()
            if message.type.name != "TEXT":
                raise AssertionError(f"connection ended: {message.type.name} {message.data} {message.extra}")
            frame: dict[str, Any] = json.loads(message.data)
            if predicate(frame):
                return frame

    return await asyncio.wait_for(find(), timeout=timeout)


def parking_body(park: str, free: int) -> bytes:
    return parking_notification(PARKS[park], free, datetime.now(UTC))


async def post_parking(client: Any, park: str, free: int) -> None:
    response = await client.post("/feeds/ngsi", data=parking_body(park, free),
                                 headers={"Content-Type": "application/json"})
    assert response.status == 202, await response.text()


async def post_central_parking(client: Any, darcy: int) -> None:
    for park, free in (("darcy", darcy), ("dauphine", 300), ("grangier", 200)):
        await post_parking(client, park, free)
