"""Word wrapping for fixed-width signs: whole words where they fit, hard cuts only for a word too long."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["paginate", "wrap_line"]


def wrap_line(text: str, width: int) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def paginate(lines: Iterable[str], width: int, lines_per_page: int) -> list[list[str]]:
    """Wrap every line to ``width`` and cut the result into pages of ``lines_per_page``."""
    wrapped = [piece for line in lines for piece in wrap_line(line, width)]
    return [wrapped[i : i + lines_per_page] for i in range(0, len(wrapped), lines_per_page)] or [[]]
