"""What each panel reports: when it was last seen, what it says it displays (proof of display), and drift.

A panel is online when it was seen (an authenticated poll, a stream heartbeat, a receipt) within
``offline_after_s``, with a token it still holds: once its tokens are revoked (or rotated away), it is offline.
A receipt names the etag of what the panel displays; the engine keeps the last receipts as proof, and flags drift
when the panel shows something other than what it was sent for longer than ``grace_s`` (content in flight is not
drift). Writes to the store are spaced out, so that frequent polls cost
little, and shared, so that every web process answers the same.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.store import Store
from signage.timeutil import format_instant, parse_instant
from signage.tokens import Keyring

__all__ = ["PanelStatus"]

STATUS = "panel_status"
KEEP_RECEIPTS = 50


class PanelStatus:
    def __init__(self, store: Store, tokens: Keyring, offline_after_s: float = 90.0, grace_s: float = 10.0,
                 write_every_s: float = 10.0) -> None:
        self._store = store
        self._tokens = tokens
        self.offline_after_s = offline_after_s
        self.grace_s = grace_s
        self._write_every_s = write_every_s
        self._written: dict[str, float] = {}

    async def _doc(self, panel_id: str) -> dict[str, Any]:
        return await self._store.get(STATUS, panel_id) or {"panel": panel_id, "receipts": []}

    async def seen(self, panel_id: str, via: str, token_digest: str, now: datetime | None = None) -> None:
        clock = time.monotonic()
        if clock - self._written.get(panel_id, -1e9) < self._write_every_s:
            return
        self._written[panel_id] = clock
        doc = await self._doc(panel_id)
        doc.update(last_seen=format_instant(now or datetime.now(UTC)), via=via, token=token_digest)
        await self._store.put(STATUS, panel_id, doc)

    async def receipt(self, panel_id: str, etag: str, current: dict[str, Any], via: str, token_digest: str,
                      now: datetime | None = None) -> dict[str, Any]:
        """Record that the panel displays ``etag``; ``current`` is the content it was last sent."""
        now = now or datetime.now(UTC)
        doc = await self._doc(panel_id)
        sent_at = parse_instant(current["updated_at"]) if current.get("updated_at") else None
        if etag == current["etag"]:
            state = "shown"
            doc.pop("drift_since", None)
        elif sent_at is not None and now - sent_at < timedelta(seconds=self.grace_s):
            state = "in_flight"
        else:
            state = "drift"
            doc.setdefault("drift_since", format_instant(now))
        entry = {"etag": etag, "at": format_instant(now), "expected": current["etag"], "state": state}
        doc["receipts"] = [entry, *doc.get("receipts", [])][:KEEP_RECEIPTS]
        doc.update(last_seen=format_instant(now), via=via, token=token_digest)
        self._written[panel_id] = time.monotonic()
        await self._store.put(STATUS, panel_id, doc)
        return {"state": state, "drift": state == "drift", "expected": current["etag"]}

    async def status(self, panel_id: str, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        doc = await self._doc(panel_id)
        last_seen = parse_instant(doc["last_seen"]) if doc.get("last_seen") else None
        online = (last_seen is not None and (now - last_seen).total_seconds() < self.offline_after_s
                  and doc.get("token") in await self._tokens.current_digests(panel_id))
        receipts = doc.get("receipts", [])
        return {"online": online, "last_seen": doc.get("last_seen"), "via": doc.get("via"),
                "last_receipt": receipts[0] if receipts else None, "drift": "drift_since" in doc,
                "drift_since": doc.get("drift_since")}
