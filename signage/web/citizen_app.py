"""The citizens' phone app: its page, its manifest (installable), and its service worker at the root scope."""

from __future__ import annotations

import json
from html import escape
from importlib import resources

from aiohttp import web

from signage.web.interface_words import interface_word
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
    """The app's page, told the city's name, its languages and its clocks (the page itself is static)."""
    config = request.app[CONFIG].current
    city, language = escape(config.city), escape(config.languages[0])
    page = _page("app.html").decode("utf-8").replace(
        '<html lang="fr">', f'<html lang="{language}" data-city="{city}" data-timezone="{escape(config.timezone)}" '
                            f'data-languages="{escape(",".join(config.languages))}">', 1).replace(
        "<title>Dijon en direct</title>", f"<title>{city} {interface_word(config.languages[0], 'live')}</title>", 1)
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers={**SECURITY, "Cache-Control": "no-cache"})


@routes.get("/sw.js")
async def service_worker(request: web.Request) -> web.Response:
    return web.Response(body=_page("sw.js"), content_type="text/javascript", charset="utf-8",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@routes.get("/manifest.webmanifest")
async def manifest(request: web.Request) -> web.Response:
    config = request.app[CONFIG].current
    city, language = config.city, config.languages[0]
    document = {
        "name": f"{city} {interface_word(language, 'live')}",
        "short_name": city.split()[0] if city else interface_word(language, "city"), "lang": language,
        "start_url": "/", "scope": "/", "display": "standalone", "background_color": "#ffffff",
        "theme_color": "#0b3d91",
        "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
                  {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
                  {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"}],
    }
    return web.Response(text=json.dumps(document, ensure_ascii=False), content_type="application/manifest+json",
                        charset="utf-8", headers={"Cache-Control": "public, max-age=3600"})
