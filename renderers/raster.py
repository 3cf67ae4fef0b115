"""Pixel rasters for LED signs: RGB in memory, sent as raw 1-bit or RGB frames, previewed as PNG.

No anti-aliasing anywhere: an LED is on or off, in one colour.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

__all__ = ["CLASSIC_COLOURS", "MONOCHROME_COLOURS", "Raster", "Rgb", "frame_bytes", "png_bytes", "scheme_of"]

Rgb = tuple[int, int, int]

# NTCIP 1203 classic colours, by number (``[cf x]`` on colorClassic signs); amber as IRIS uses it.
CLASSIC_COLOURS: dict[int, Rgb] = {
    0: (0, 0, 0), 1: (255, 0, 0), 2: (255, 255, 0), 3: (0, 255, 0), 4: (0, 255, 255),
    5: (0, 0, 255), 6: (255, 0, 255), 7: (255, 255, 255), 8: (255, 165, 0), 9: (255, 208, 0),
}
MONOCHROME_COLOURS: dict[str, Rgb] = {
    "amber": (255, 208, 0), "red": (255, 0, 0), "green": (0, 255, 0), "white": (255, 255, 255),
    "yellow": (255, 255, 0),
}
BLACK: Rgb = (0, 0, 0)


def scheme_of(colour: str) -> str:
    """NTCIP ``dmsColorScheme`` of a profile colour: ``color24bit`` for RGB walls, ``monochrome1bit`` otherwise."""
    return "color24bit" if colour == "rgb" else "monochrome1bit"


@dataclass(slots=True)
class Raster:
    width: int
    height: int
    pixels: bytearray = field(default_factory=bytearray)  # RGB, row by row

    def __post_init__(self) -> None:
        if not self.pixels:
            self.pixels = bytearray(self.width * self.height * 3)

    def fill(self, x: int, y: int, w: int, h: int, colour: Rgb) -> None:
        """Paint a rectangle, clipped to the raster."""
        x0, y0, x1, y1 = max(0, x), max(0, y), min(self.width, x + w), min(self.height, y + h)
        if x0 >= x1:
            return
        row = bytes(colour) * (x1 - x0)
        for yy in range(y0, y1):
            start = (yy * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def set(self, x: int, y: int, colour: Rgb) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            start = (y * self.width + x) * 3
            self.pixels[start : start + 3] = bytes(colour)

    def get(self, x: int, y: int) -> Rgb:
        start = (y * self.width + x) * 3
        r, g, b = self.pixels[start : start + 3]
        return (r, g, b)

    def window(self, x: int, width: int) -> Raster:
        """Columns ``x`` to ``x + width`` (dark beyond the edges): one frame of a horizontal scroll."""
        out = Raster(width, self.height)
        first, last = max(0, x), min(self.width, x + width)
        if first < last:
            for y in range(self.height):
                source = (y * self.width + first) * 3
                target = (y * width + first - x) * 3
                out.pixels[target : target + (last - first) * 3] = self.pixels[source : source + (last - first) * 3]
        return out

    def text_art(self) -> str:
        """``@`` for a lit pixel and ``.`` for a dark one: how golden tests show a frame in a diff."""
        lines = []
        for y in range(self.height):
            row = self.pixels[y * self.width * 3 : (y + 1) * self.width * 3]
            lines.append("".join("@" if any(row[i : i + 3]) else "." for i in range(0, len(row), 3)))
        return "\n".join(lines)


def frame_bytes(raster: Raster, scheme: str) -> bytes:
    """The raw frame a full-matrix sign takes: 1 bit per pixel (MSB first, rows padded to a byte) on monochrome
    signs, 3 bytes (R, G, B) per pixel on colour ones."""
    if scheme == "color24bit":
        return bytes(raster.pixels)
    pixels = raster.pixels
    lit = [r | g | b for r, g, b in zip(pixels[0::3], pixels[1::3], pixels[2::3], strict=True)]
    row_bytes = (raster.width + 7) // 8
    out = bytearray()
    for y in range(raster.height):
        row = lit[y * raster.width : (y + 1) * raster.width]
        bits = "".join("1" if v else "0" for v in row).ljust(row_bytes * 8, "0")
        out += int(bits, 2).to_bytes(row_bytes, "big")
    return bytes(out)


def png_bytes(raster: Raster, scale: int = 4) -> bytes:
    """A preview that looks like the sign: each LED a ``scale - 1`` square on a dark face, nearest-neighbour only."""
    from PIL import Image  # imported here: Pillow is heavy and only previews need it

    scale = max(1, scale)
    image = Image.frombytes("RGB", (raster.width, raster.height), bytes(raster.pixels))
    big = image.resize((raster.width * scale, raster.height * scale), Image.Resampling.NEAREST)
    if scale >= 3:
        from PIL import ImageDraw

        face = (24, 24, 24)
        draw = ImageDraw.Draw(big)
        for y in range(scale - 1, big.height, scale):
            draw.line([(0, y), (big.width - 1, y)], fill=face)
        for x in range(scale - 1, big.width, scale):
            draw.line([(x, 0), (x, big.height - 1)], fill=face)
    out = io.BytesIO()
    big.save(out, format="PNG", optimize=False)
    return out.getvalue()
