"""Text from strangers made safe to show. Pure.

Control characters have no place on a sign, a kiosk, a CSV cell or an XML document (where most of them are not
even allowed), and the Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) let a value
read differently from what it is ("Trojan Source"): a car park's name could show its text reversed, a CSV cell
could hide what it holds. ``clean`` removes them wherever text enters the engine. Line feeds and tabs stay: a
CAP description has paragraphs.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clean", "clean_value", "spreadsheet_cell"]

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: str) -> str:
    """``text`` without control characters (but line feed, carriage return and tab) and bidi overrides."""
    return _UNSAFE.sub("", text) if _UNSAFE.search(text) else text


def clean_value(value: Any) -> Any:
    """Every text in ``value`` (nested objects and arrays included, keys too) cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    return value


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return gets a leading apostrophe (OWASP's advice). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
