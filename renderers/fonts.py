"""Bitmap fonts shipped in the package (no system fonts): what a sign's character generator holds.

The format is text, one glyph per block, so fonts can be read and reviewed in a diff::

    name: 5x7
    font_number: 1
    height: 7
    char_spacing: 0
    line_spacing: 1

    ch: 65 A
    .@@..
    @..@.
    ...

Every row of a glyph is the full cell height; ``@`` is a lit LED.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["BitmapFont", "FontProblem", "Glyph", "font_names", "load_font", "parse_font"]


class FontProblem(ValueError):
    """A font file that cannot be read; the message names the line."""


@dataclass(frozen=True, slots=True)
class Glyph:
    width: int
    rows: tuple[int, ...]  # one bit mask per row; bit (width - 1 - x) is column x

    def lit(self, x: int, y: int) -> bool:
        return bool(self.rows[y] >> (self.width - 1 - x) & 1)


@dataclass(frozen=True, slots=True)
class BitmapFont:
    name: str
    number: int
    height: int
    char_spacing: int
    line_spacing: int
    glyphs: Mapping[str, Glyph]

    def glyph(self, char: str) -> Glyph | None:
        return self.glyphs.get(char)

    def text_width(self, text: str, char_spacing: int | None = None) -> int:
        """Pixels from the first lit column of the first glyph to the end of the last; unknown characters count 0."""
        spacing = self.char_spacing if char_spacing is None else char_spacing
        widths = [glyph.width for glyph in map(self.glyphs.get, text) if glyph is not None]
        return sum(widths) + spacing * max(0, len(widths) - 1)

    def undefined(self, text: str) -> list[int]:
        """Indexes of the characters of ``text`` the font has no glyph for."""
        return [i for i, char in enumerate(text) if char not in self.glyphs]


def parse_font(text: str, origin: str = "<font>") -> BitmapFont:
    header: dict[str, str] = {}
    glyphs: dict[str, Glyph] = {}
    char: str | None = None
    rows: list[str] = []

    def close(line_no: int) -> None:
        nonlocal char, rows
        if char is None:
            return
        widths = {len(row) for row in rows}
        if len(widths) != 1 or len(rows) != int(header.get("height", "0")):
            raise FontProblem(f"{origin}:{line_no}: glyph {char!r} must be {header.get('height')} rows of one width")
        width = widths.pop()
        glyphs[char] = Glyph(width, tuple(int(row.replace("@", "1").replace(".", "0"), 2) for row in rows))
        char, rows = None, []

    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.startswith("ch: "):
            close(line_no)
            code = line[4:].split(" ", 1)[0]
            if not code.isdigit():
                raise FontProblem(f"{origin}:{line_no}: 'ch:' needs a decimal code point")
            char = chr(int(code))
        elif char is not None and line and set(line) <= {"@", "."}:
            rows.append(line)
        elif char is None and ": " in line:
            key, value = line.split(": ", 1)
            header[key] = value
        elif line.strip():
            raise FontProblem(f"{origin}:{line_no}: cannot read {line[:40]!r}")
    close(len(text.splitlines()))
    try:
        return BitmapFont(header["name"], int(header["font_number"]), int(header["height"]),
                          int(header.get("char_spacing", "0")), int(header.get("line_spacing", "1")), glyphs)
    except (KeyError, ValueError) as exc:
        raise FontProblem(f"{origin}: header needs name, font_number and height ({exc})") from exc


def font_names() -> list[str]:
    folder = resources.files("renderers").joinpath("fonts")
    return sorted(entry.name.removesuffix(".tfon") for entry in folder.iterdir() if entry.name.endswith(".tfon"))


@cache
def load_font(name: str) -> BitmapFont:
    """A font shipped with the package, by name (``5x7``, ``6x10``, ``7x13B``)."""
    if name not in font_names():
        raise FontProblem(f"no font {name!r} (shipped: {', '.join(font_names())})")
    text = resources.files("renderers").joinpath("fonts", f"{name}.tfon").read_text(encoding="utf-8")
    return parse_font(text, f"{name}.tfon")
