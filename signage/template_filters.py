"""The filters templates write with, in the city's languages and time zone (``TextSettings``). Pure.

Numbers and plurals follow each language's CLDR rules through Babel: "1 234 places" and "0 place" in French,
"1,234 places" and "0 places" in English; an instant shows on the city's clocks. The rendering language is the
template context's ``lang``; a value given per language (``{fr: …, en: …}``) falls back along the city's languages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from signage.sign_text import abbreviate_word, escape_multi

__all__ = ["LANGUAGE", "TextSettings", "escaped_for_multi", "filters", "known_language"]

LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?\Z")  # fr, en, de, pt-BR…


@dataclass(frozen=True, slots=True)
class TextSettings:
    """What texts depend on in a city: its time zone and its languages, the first being its own."""

    timezone: str = "UTC"
    languages: tuple[str, ...] = ("en",)


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def known_language(language: str) -> bool:
    """Whether Babel (CLDR) knows the language's numbers and plurals."""
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return LANGUAGE.match(language) is not None


def _language(context: Context) -> str:
    return str(context.get("lang", "en"))


def _number(value: Any, language: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return _grouped(value, language)


@lru_cache(maxsize=8192)
def _grouped(value: float, language: str) -> str:
    """Counts repeat (a car park's free places): each is formatted once per language."""
    return str(format_decimal(value, format="#,##0", locale=_locale(language)))


def filters(settings: TextSettings) -> Mapping[str, Callable[..., Any]]:
    """The engine's filters for one city. Each language's CLDR data is loaded here, once, not in the first
    render: loading it takes longer than a render's time budget allows."""
    zone = ZoneInfo(settings.timezone)
    for language in (*settings.languages, "en"):
        _number(1234, language)
        _locale(language).plural_form(1)

    @pass_context
    def number(context: Context, value: Any) -> str:
        """Grouped thousands as the language writes them: ``1 234`` (French), ``1,234`` (English)."""
        return _number(value, _language(context))

    @pass_context
    def plural(context: Context, count: Any, singular: str, plural: str | None = None) -> str:
        """``{{ n | plural("place", "places") }}``: the count and the word its language's rules ask for."""
        word_plural = plural or singular + "s"
        if isinstance(count, bool) or not isinstance(count, int | float):
            return f"{count} {word_plural}"
        one = _locale(_language(context)).plural_form(abs(count)) == "one"
        return f"{_number(count, _language(context))} {singular if one else word_plural}"

    @pass_context
    def translated(context: Context, value: Any) -> str:
        """Pick the rendering language from a ``{"fr": …, "en": …}`` value, then the city's languages, then
        any."""
        if not isinstance(value, dict):
            return "" if value is None else str(value)
        for candidate in (_language(context), *settings.languages, *value):
            if value.get(candidate):
                return str(value[candidate])
        return ""

    def local_time(value: Any) -> str:
        """``2026-11-26T05:00:00Z`` → ``06:00``: an instant as the city's clocks show it."""
        if not isinstance(value, str):
            return "" if value is None else str(value)
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if instant.tzinfo is None:
            return instant.strftime("%H:%M")
        return instant.astimezone(zone).strftime("%H:%M")

    def abbreviate(text: Any) -> str:
        """Every word the sign table abbreviates, abbreviated: for lines that must be short everywhere."""
        return " ".join(abbreviate_word(word) or word for word in str(text).split(" "))

    return {"number": number, "plural": plural, "tr": translated, "local_time": local_time, "abbr": abbreviate,
            "upper": str.upper}


def escaped_for_multi(value: Any) -> Any:
    """What a value inserted in a MULTI pattern becomes: text, with its brackets doubled."""
    return escape_multi(value) if isinstance(value, str) else escape_multi(str(value)) if value is not None else ""
