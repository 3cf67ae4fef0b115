"""JSON from strangers: RFC 8259 only, bounded. Pure.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON: a browser's ``JSON.parse`` refuses them when they
come back out), turns ``1e999`` into infinity, converts a 5,000-digit integer with a ``ValueError`` of its own,
and dies with ``RecursionError`` on 100,000 nested brackets. ``loads`` refuses each of these with a reason a
sender can act on; ``dumps`` never writes anything that is not JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_NUMBER_CHARS", "JsonProblem", "dumps", "finite", "loads"]

MAX_DEPTH = 64  # nesting of arrays and objects; real payloads (NGSI-LD, GeoJSON) stay under 10
MAX_NUMBER_CHARS = 40  # a number written with more characters than this is not a measurement


class JsonProblem(ValueError):
    """Input that is not acceptable JSON; the message says why."""


def _constant(name: str) -> Any:
    raise JsonProblem(f"{name} is not a JSON number (RFC 8259 has no NaN or infinities)")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonProblem(f"a number of {len(text)} digits is too long (at most {MAX_NUMBER_CHARS})")
    return int(text)


def _real(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonProblem(f"a number of {len(text)} characters is too long (at most {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise JsonProblem(f"{text} is out of range for a number")
    return value


def _depth_within(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays and objects at most ``limit`` deep (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, or raise ``JsonProblem``: not UTF-8, not JSON, NaN or infinities, numbers too long or out
    of range, nesting deeper than ``max_depth``."""
    try:
        value = json.loads(data, parse_constant=_constant, parse_int=_integer, parse_float=_real)
    except JsonProblem:
        raise
    except RecursionError as exc:
        raise JsonProblem(f"nested deeper than {max_depth} levels") from exc
    except UnicodeDecodeError as exc:
        raise JsonProblem(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except ValueError as exc:  # what the standard library raises before our hooks see it
        raise JsonProblem(f"not acceptable JSON: {exc}") from exc
    text = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    brackets = text.count(b"[") + text.count(b"{")
    if brackets > max_depth and not _depth_within(value, max_depth):  # few brackets cannot nest deep
        raise JsonProblem(f"nested deeper than {max_depth} levels")
    return value


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None: what a number that is not a number becomes in JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that never writes NaN or infinities (RFC 8259): such a value becomes null."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        return json.dumps(finite(value), allow_nan=False, **options)
