"""Where in the YAML a field is: a path (``("panels", 0, "profile")``) turned into the line it is on and the name
errors give it (``panels[0].profile``); the schema's errors said as a person would; and ``Errors``, which collects
a file's errors each at its line. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from signage.config.city import ConfigError
from signage.yamlsource import LocatedDict, LocatedList

__all__ = ["Errors", "Path", "field_name", "line_of", "message_of"]

Path = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


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


class Errors:
    """The errors of one file, each with its line looked up in the document."""

    def __init__(self, file: str, data: Any) -> None:
        self.file = file
        self._data = data
        self.found: list[ConfigError] = []

    def add(self, path: Path, message: str, line: int | None = None) -> None:
        """An error of the field at ``path``, on its line (or on ``line``, where another key shows it better)."""
        self.found.append(ConfigError(self.file, line if line is not None else line_of(self._data, path),
                                      field_name(path), message))

    def line(self, path: Path) -> int:
        return line_of(self._data, path)

    def validated(self, model: type[M], value: Any, path: Path) -> M | None:
        """``value`` as ``model``, or None after adding each of its errors at its place."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            for error in exc.errors():
                self.add((*path, *error["loc"]), message_of(dict(error)))
            return None
