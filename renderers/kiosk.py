"""Kiosk HTML: Jinja2 with autoescape on, from the same content document every other format comes from."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["render_kiosk_page", "render_static_page"]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    pages = str(resources.files("content").joinpath("pages"))
    return Environment(loader=FileSystemLoader(pages), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no sequence in it can close the element."""
    return (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def render_kiosk_page(content: dict[str, Any], timezone: str) -> str:
    """The live kiosk page: the current content, and a script that keeps it current over ``/ws`` and says when
    it was updated on the city's clocks (``timezone``)."""
    return _environment().get_template("kiosk.html.j2").render(
        content=content, initial_json=_script_json(content), live=True, timezone=timezone)


def render_static_page(content: dict[str, Any]) -> str:
    """The same page without a script, for ``?format=html`` and for screens that cannot run JavaScript."""
    return _environment().get_template("kiosk.html.j2").render(content=content, initial_json="null", live=False,
                                                                  timezone="")
