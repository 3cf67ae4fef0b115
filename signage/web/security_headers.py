"""Headers every answer carries: no content sniffing anywhere, and on every HTML page a Content-Security-Policy that
allows only this server's own scripts, styles, images and connections, and no framing by another site.

A page may set a policy of its own (the phone app's allows inline styles); any page that sets none gets
``PAGE_POLICY``, so a new page cannot be left without one.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["PAGE_POLICY", "security_headers"]

PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type == "text/html":
        headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
