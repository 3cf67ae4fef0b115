"""Panel tokens: each panel authenticates with its own token, stored only as a SHA-256 digest.

A token is issued (or rotated) with ``signage panels token PANEL`` and shown once; ``--keep-previous`` leaves the
previous token valid until the next rotation, so a panel can be updated without going dark; ``signage panels
revoke PANEL`` removes every token at once. Checks compare digests in constant time and remember a good token
for a few seconds, so that a poll every second costs no store round trip; a revoked token stops working within
that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime

from aiohttp import web

from signage.store import Store
from signage.timeutil import format_instant

__all__ = ["PanelTokens", "presented_token"]

TOKENS = "panel_tokens"
PREFIX = "pt_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def presented_token(request: web.Request) -> str | None:
    """``Authorization: Bearer <token>``, or ``?token=`` for clients that cannot set headers (a WebSocket
    opened by a browser). Never logged: access logs are off and errors do not echo it."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    return request.query.get("token") or None


class PanelTokens:
    def __init__(self, store: Store, remember_s: float = 5.0) -> None:
        self._store = store
        self._remember_s = remember_s
        self._good: dict[tuple[str, str], float] = {}  # (panel, digest) -> until when it is known good

    async def issue(self, panel_id: str, keep_previous: bool = False) -> str:
        token = PREFIX + secrets.token_urlsafe(32)
        doc = await self._store.get(TOKENS, panel_id) or {"digests": []}
        kept = doc["digests"][:1] if keep_previous else []
        await self._store.put(TOKENS, panel_id, {
            "digests": [{"sha256": _digest(token), "issued_at": format_instant(datetime.now(UTC))}, *kept]})
        return token

    async def revoke(self, panel_id: str) -> bool:
        self._good = {k: v for k, v in self._good.items() if k[0] != panel_id}
        return await self._store.delete(TOKENS, panel_id)

    async def check(self, panel_id: str, token: str | None) -> bool:
        if not token or not token.startswith(PREFIX) or len(token) > 100:
            return False
        digest = _digest(token)
        now = time.monotonic()
        if self._good.get((panel_id, digest), 0.0) > now:
            return True
        doc = await self._store.get(TOKENS, panel_id)
        known = [entry["sha256"] for entry in doc["digests"]] if doc else []
        # Compare with every digest, always, so that timing says nothing about which one matched.
        matched = False
        for candidate in known:
            matched |= hmac.compare_digest(candidate, digest)
        if matched:
            self._good[(panel_id, digest)] = now + self._remember_s
        else:
            self._good.pop((panel_id, digest), None)
        return matched
