"""The console's language: French (its source) or English, among the city's languages, chosen by each staff
member and kept in a cookie.

Every string staff read is written in French in the pages, ``admin.js`` and the console's Python, and looked up in
``content/console/<language>.json`` (French text → translation) for another language. A string without a
translation shows in French, never blank; ``tests/test_console_language.py`` refuses a catalog that misses one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from aiohttp import web

from signage.web.keys import CONFIG

__all__ = ["CONSOLE_LANGUAGES", "COOKIE", "Translate", "catalog", "console_language", "offered", "request_translator",
           "translator"]

COOKIE = "signage_console_lang"
CONSOLE_LANGUAGES = ("fr", "en")  # French is the source; a language here has content/console/<code>.json


class Translate(Protocol):
    def __call__(self, text: str, /, **values: Any) -> str: ...


@lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, str]:
    if language == "fr":
        return {}
    text = resources.files("content").joinpath("console", f"{language}.json").read_text(encoding="utf-8")
    words: dict[str, str] = json.loads(text)
    return words


@lru_cache(maxsize=4)
def translator(language: str) -> Translate:
    """``_("{n} panneau(x)", n=3)``: the text in ``language``, with its ``{placeholders}`` filled."""
    words = catalog(language)

    def translate(text: str, /, **values: Any) -> str:
        said = words.get(text, text)
        return said.format(**values) if values else said

    return translate


def offered(city_languages: tuple[str, ...]) -> tuple[str, ...]:
    """The console's languages for a city: those of its languages the console speaks, French when none."""
    return tuple(code for code in city_languages if code in CONSOLE_LANGUAGES) or ("fr",)


def console_language(request: web.Request) -> str:
    """The language a staff member chose (cookie), else the city's first the console speaks."""
    choices = offered(request.app[CONFIG].current.languages)
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in choices else choices[0]


def request_translator(request: web.Request) -> Translate:
    return translator(console_language(request))
