"""Headers every answer carries: no content sniffing anywhere, and on every HTML page a Content-Security-Policy that
allows only this server's own scripts, styles, images and connections, and no framing by another site.

A page may set a policy of its own (the phone app's allows inline styles); any page that sets none gets
``PAGE_POLICY``, so a new page cannot be left without one. When the console's map has tiles from a tile server,
that one origin may serve images too, nothing else (``page_policy``).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from aiohttp import web

from signage.web.keys import SETTINGS

__all__ = ["PAGE_POLICY", "page_policy", "security_headers"]


@lru_cache(maxsize=4)
def page_policy(tiles: str | None = None) -> str:
    """The policy of every HTML page; with ``tiles`` (a tile URL template), its origin may serve images (a
    ``{s}`` subdomain becomes ``*``)."""
    origin = ""
    if tiles:
        parts = urlsplit(tiles)
        origin = f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    return (f"default-src 'self'; img-src 'self' data:{origin}; connect-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


PAGE_POLICY = page_policy()


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.status == 101:
        return  # a WebSocket's upgrade has no content to sniff; its headers would stay with each connection
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type == "text/html":
        tiles = request.app[SETTINGS].map_tiles if SETTINGS in request.app else None
        headers.setdefault("Content-Security-Policy", page_policy(tiles))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
