"""Leaflet, served by the engine from its Python package (XStatic-Leaflet): the console's map needs no CDN and no
third party, and its version is the one installed with the engine."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xstatic.pkg.leaflet as leaflet
from aiohttp import web

from signage.web.errors import json_error

__all__ = ["LEAFLET_VERSION", "routes"]

routes = web.RouteTableDef()
LEAFLET_VERSION = str(leaflet.VERSION)
_FILES = {"leaflet.js": "text/javascript", "leaflet.css": "text/css", "images/layers.png": "image/png",
          "images/layers-2x.png": "image/png", "images/marker-icon.png": "image/png",
          "images/marker-icon-2x.png": "image/png", "images/marker-shadow.png": "image/png"}


@cache
def _file(name: str) -> bytes:
    return (Path(leaflet.BASE_DIR) / name).read_bytes()


@routes.get("/static/leaflet/{name:.+}")
async def leaflet_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    media = _FILES.get(name)  # a fixed list: nothing else of the disk is reachable
    if media is None:
        raise json_error(web.HTTPNotFound, "not_found", "no such file")
    return web.Response(body=_file(name), content_type=media, charset=None if media == "image/png" else "utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})
