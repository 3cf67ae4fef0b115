"""Rebuilds the bitmap fonts in renderers/fonts/ from the X11 misc-fixed fonts (public domain).

Usage: python scripts/fonts-from-x11.py DIR, where DIR holds 5x7.pcf.gz, 6x10.pcf.gz and 7x13B.pcf.gz, e.g. from
Debian's xfonts-base (``apt-get download xfonts-base && dpkg-deb -x xfonts-base_*.deb x``; DIR is
``x/usr/share/fonts/X11/misc``). Each glyph of the ISO 8859-15 repertoire (French needs Œ, œ and €) is written in
the text format of renderers/fonts.py: a header, then per character ``ch: <code point> <char>`` and its rows of
``@`` (lit) and ``.`` (dark), full cell height, so that glyphs can be drawn without metrics.
"""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

from PIL import PcfFontFile

FONTS = (("5x7", 1, 1), ("6x10", 2, 1), ("7x13B", 3, 1))  # (file, NTCIP font number, line spacing)
OUT = Path(__file__).resolve().parent.parent / "renderers" / "fonts"


def convert(source: Path, name: str, number: int, line_spacing: int) -> str:
    font = PcfFontFile.PcfFontFile(io.BytesIO(gzip.decompress(source.read_bytes())), "iso8859-15")
    glyphs = {}
    for byte, glyph in enumerate(font.glyph):
        if not glyph or byte < 32 or 127 <= byte < 160:
            continue
        glyphs[ord(bytes([byte]).decode("iso8859-15"))] = glyph
    ascent = max(-g[1][1] for g in glyphs.values())  # rows above the baseline
    descent = max(g[1][3] for g in glyphs.values())
    height = ascent + descent
    lines = [f"name: {name}", f"font_number: {number}", f"height: {height}", "char_spacing: 0",
             f"line_spacing: {line_spacing}", f"source: X11 misc-fixed {name} (public domain), ISO 8859-15", ""]
    for code in sorted(glyphs):
        (advance, _), (left, top, _, _), _, bitmap = glyphs[code]
        cell = [["."] * advance for _ in range(height)]
        for y in range(bitmap.size[1]):
            for x in range(bitmap.size[0]):
                if bitmap.getpixel((x, y)) and 0 <= left + x < advance:
                    cell[ascent + top + y][left + x] = "@"
        lines.append(f"ch: {code} {chr(code)}".rstrip())
        lines += ["".join(row) for row in cell]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    source_dir = Path(sys.argv[1])
    for name, number, spacing in FONTS:
        text = convert(source_dir / f"{name}.pcf.gz", name, number, spacing)
        (OUT / f"{name}.tfon").write_text(text, encoding="utf-8")
        print(f"wrote {OUT / f'{name}.tfon'}")


if __name__ == "__main__":
    main()
