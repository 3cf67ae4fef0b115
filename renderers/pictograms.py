"""Pictograms for pixel panels, drawn LED by LED, usable in MULTI as graphics (``[g n,x,y]``).

Each is drawn twice over in one picture: its colours for RGB walls, and which LEDs are lit on a monochrome sign,
so that the parking P or the air-quality number stays readable in amber (meaning never rests on colour alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from renderers.fonts import load_font
from renderers.raster import Rgb

__all__ = ["ATMO_COLOURS", "PICTOGRAMS", "Pictogram", "pictogram_by_name"]

# Indice ATMO colours (arrêté du 10 juillet 2020), levels 1 (bon) to 6 (extrêmement mauvais).
ATMO_COLOURS: dict[int, Rgb] = {
    1: (0x50, 0xF0, 0xE6), 2: (0x50, 0xCC, 0xAA), 3: (0xF0, 0xE6, 0x41),
    4: (0xFF, 0x50, 0x50), 5: (0x96, 0x00, 0x32), 6: (0x87, 0x21, 0x81),
}
# Drawing alphabet: colour, and whether the LED is lit on a monochrome sign.
PALETTE: dict[str, tuple[Rgb, bool]] = {
    "W": ((255, 255, 255), True), "w": ((255, 255, 255), False),
    "B": ((0, 84, 164), True), "b": ((0, 84, 164), False),
    "R": ((230, 0, 0), True), "G": ((0, 150, 60), True),
    "X": ((0, 0, 0), True),  # black on a colour wall, lit on a monochrome sign
    "K": ((0, 0, 0), False),
}


@dataclass(frozen=True, slots=True)
class Pictogram:
    number: int
    name: str
    width: int
    height: int
    cells: tuple[tuple[tuple[Rgb, bool] | None, ...], ...]  # row by row; None is transparent


def _drawn(number: int, name: str, art: str, palette: Mapping[str, tuple[Rgb, bool]] = PALETTE) -> Pictogram:
    rows = art.strip().splitlines()
    width = len(rows[0])
    assert all(len(row) == width for row in rows), name
    cells = tuple(tuple(None if c == "." else palette[c] for c in row) for row in rows)
    return Pictogram(number, name, width, len(rows), cells)


PARKING = """
BBBBBBBBBBBBBB
BbbbbbbbbbbbbB
BbbWWWWWWbbbbB
BbbWWWWWWWbbbB
BbbWWbbbWWWbbB
BbbWWbbbbWWbbB
BbbWWbbbWWWbbB
BbbWWWWWWWbbbB
BbbWWWWWWbbbbB
BbbWWbbbbbbbbB
BbbWWbbbbbbbbB
BbbWWbbbbbbbbB
BbbbbbbbbbbbbB
BBBBBBBBBBBBBB
"""
WARNING = """
.......R.......
......RwR......
......RwR......
.....RwXwR.....
.....RwXwR.....
....RwwXwwR....
....RwwXwwR....
...RwwwXwwwR...
...RwwwwwwwR...
..RwwwwXwwwwR..
..RwwwwwwwwwR..
.RRRRRRRRRRRRR.
RRRRRRRRRRRRRRR
"""
WASTE_TRUCK = """
..........GGGG..
..........GKKGG.
GGGGGGGGG.GKKKGG
GGGGGGGGG.GGGGGG
GGGGGGGGG.GGGGGG
GGGGGGGGGGGGGGGG
GGGGGGGGGGGGGGGG
GGGGGGGGGGGGGGGG
..WWW.....WWW...
.WWKWW...WWKWW..
..WWW.....WWW...
"""


def _air_level(level: int) -> Pictogram:
    """A disc in the level's ATMO colour with the level's number cut out of it, 14 LEDs across."""
    size, digit = 14, load_font("5x7").glyphs[str(level)]
    colour = ATMO_COLOURS[level]
    top, left = (size - 7) // 2 + 1, (size - digit.width) // 2 + 1
    rows = []
    for y in range(size):
        row: list[tuple[Rgb, bool] | None] = []
        for x in range(size):
            inside = (x - 6.5) ** 2 + (y - 6.5) ** 2 <= 7.0**2
            in_digit = 0 <= y - top < 7 and 0 <= x - left < digit.width and digit.lit(x - left, y - top)
            row.append(((0, 0, 0), False) if inside and in_digit else (colour, True) if inside else None)
        rows.append(tuple(row))
    return Pictogram(10 + level, f"air-{level}", size, size, tuple(rows))


PICTOGRAMS: dict[int, Pictogram] = {
    p.number: p
    for p in (
        _drawn(1, "parking", PARKING),
        _drawn(2, "warning", WARNING),
        _drawn(3, "waste", WASTE_TRUCK),
        *(_air_level(level) for level in range(1, 7)),
    )
}


@cache
def pictogram_by_name(name: str) -> Pictogram | None:
    return next((p for p in PICTOGRAMS.values() if p.name == name), None)
