"""Where in the YAML a field is: a path (``("panels", 0, "profile")``) turned into the line it is on and the name
errors give it (``panels[0].profile``); and the schema's errors said as a person would. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signage.yamlsource import LocatedDict, LocatedList

__all__ = ["Path", "field_name", "line_of", "message_of"]

Path = tuple[str | int, ...]


def line_of(data: Any, path: Sequence[str | int]) -> int:
    """The line of the deepest part of ``path`` the document has (its parent's when a key is missing)."""
    node, line = data, getattr(data, "line", 1)
    for step in path:
        if isinstance(node, LocatedDict) and isinstance(step, str):
            line = node.line_of(step)
            node = node.get(step)
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.line_of(step)
            node = node[step]
        else:
            break
    return line


def field_name(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


_PLAIN = {
    "missing": "is required", "extra_forbidden": "is not a known field", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_type": "must be a number", "bool_type": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list", "dict_type": "must be a mapping",
    "model_type": "must be a mapping", "model_attributes_type": "must be a mapping", "none_required": "must be empty",
}


def message_of(error: dict[str, Any]) -> str:
    """A pydantic error, said as the rest of the engine says things."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '').replace(chr(39), '').replace(' or ', ', ')}"
    if kind == "greater_than":
        return "must be positive" if ctx.get("gt") == 0 else f"must be more than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")
