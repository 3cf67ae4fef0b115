"""The citizens' phone app: its page, its manifest (installable), and its service worker at the root scope."""

from __future__ import annotations

import json
from importlib import resources

from aiohttp import web

from signage.web.keys import CONFIG

__all__ = ["routes"]

routes = web.RouteTableDef()
SECURITY = {
    # Everything from this server, nothing from elsewhere: no CDN, no font, no tracker can be added by mistake.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(name: str) -> bytes:
    return resources.files("content").joinpath("pages", name).read_bytes()


@routes.get("/")
async def app_page(request: web.Request) -> web.Response:
    return web.Response(body=_page("app.html"), content_type="text/html", charset="utf-8",
                        headers={**SECURITY, "Cache-Control": "no-cache"})


@routes.get("/sw.js")
async def service_worker(request: web.Request) -> web.Response:
    return web.Response(body=_page("sw.js"), content_type="text/javascript", charset="utf-8",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@routes.get("/manifest.webmanifest")
async def manifest(request: web.Request) -> web.Response:
    city = request.app[CONFIG].current.city
    document = {
        "name": f"{city} en direct", "short_name": city.split()[0] if city else "Ville", "lang": "fr",
        "start_url": "/", "scope": "/", "display": "standalone", "background_color": "#ffffff",
        "theme_color": "#0b3d91",
        "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
                  {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
                  {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"}],
    }
    return web.Response(text=json.dumps(document, ensure_ascii=False), content_type="application/manifest+json",
                        charset="utf-8", headers={"Cache-Control": "public, max-age=3600"})
