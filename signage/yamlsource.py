"""YAML that remembers where each value came from, so every configuration error can name its line."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["LocatedDict", "LocatedList", "load_located"]


class LocatedDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each of its keys (1-based)."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list[Any]):
    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _SafeLoader(yaml.SafeLoader):
    """Safe YAML without aliases: a configuration has no need for them and they enable billion-laughs."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in configuration", event.start_mark
            )
        return super().compose_node(parent, index)


def _build(node: yaml.Node, loader: _SafeLoader) -> Any:
    if isinstance(node, yaml.MappingNode):
        result = LocatedDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise ValueError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            result[key] = _build(value_node, loader)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LocatedList(_build(child, loader) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items
    return loader.construct_object(node, deep=True)


def load_located(text: str) -> Any:
    """Parse one YAML document into plain values whose mappings and lists know their lines."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocatedDict()
        return _build(node, loader)
    finally:
        loader.dispose()
