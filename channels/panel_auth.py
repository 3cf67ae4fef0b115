"""Panel tokens: each panel authenticates with its own token (``signage.tokens``), issued, rotated and revoked
with ``signage panels token|revoke PANEL``."""

from __future__ import annotations

from aiohttp import web

from signage.store import Store
from signage.tokens import Keyring

__all__ = ["PanelTokens", "presented_token"]


class PanelTokens(Keyring):
    def __init__(self, store: Store, remember_s: float = 2.0) -> None:
        super().__init__(store, "panel_tokens", "pt_", remember_s)


def presented_token(request: web.Request) -> str | None:
    """``Authorization: Bearer <token>``, or ``?token=`` for clients that cannot set headers (a WebSocket
    opened by a browser). Never logged: access logs are off and errors do not echo it."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    return request.query.get("token") or None
