"""NTCIP 1203 MULTI rendered to pixels for a sign profile, validated the way the standard does.

A message fits a sign when it renders: every character in a font the sign has, every line inside its text
rectangle, no more pages than the sign holds. What does not render gets the standard's error kind and position,
so a sign that cannot show a message is caught here, before it reaches the street.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from renderers.fonts import BitmapFont, load_font
from renderers.multi_syntax import ErrorKind, MultiError, Tag, Text, normalize, tokenize
from renderers.pictograms import PICTOGRAMS
from renderers.raster import BLACK, CLASSIC_COLOURS, MONOCHROME_COLOURS, Raster, Rgb, scheme_of
from signage.model import Profile, ProfileKind

__all__ = ["MultiRender", "PageRender", "Sign", "render_multi"]

LEFT, CENTER, RIGHT = 2, 3, 4
TOP, MIDDLE, BOTTOM = 2, 3, 4
UNSUPPORTED = {
    "flt": "flashing text is not shown: it harms readability and accessibility",
    "flo": "flashing text is not shown: it harms readability and accessibility",
    "/fl": "flashing text is not shown: it harms readability and accessibility",
    "mv": "moving text is sent as frames to pixel panels, not as a MULTI tag",
    "f": "field tags (clock, temperature…) are filled in by the engine before sending",
    "ms": "manufacturer-specific tags are not supported",
    "/ms": "manufacturer-specific tags are not supported",
}


@dataclass(frozen=True, slots=True)
class Sign:
    """What rendering needs from a profile: geometry, fonts by number, colours."""

    profile: Profile
    fonts: dict[int, BitmapFont]
    default_font: BitmapFont
    scheme: str
    foreground: Rgb

    @classmethod
    def of(cls, profile: Profile) -> Sign:
        return _sign(profile)

    @classmethod
    def build(cls, profile: Profile) -> Sign:
        if profile.kind is ProfileKind.KIOSK:
            raise ValueError(f"profile {profile.name!r} is a kiosk, not a LED sign")
        fonts = {font.number: font for font in map(load_font, profile.font_table)}
        return cls(profile, fonts, load_font(profile.font), scheme_of(profile.colour),
                   MONOCHROME_COLOURS.get(profile.colour, CLASSIC_COLOURS[9]))

    @property
    def module(self) -> tuple[int, int]:
        """Character module size on character-matrix signs; line pitch on line-matrix signs."""
        p = self.profile
        return p.width_px // max(1, p.chars_per_line), p.height_px // max(1, p.lines)


@lru_cache(maxsize=256)
def _sign(profile: Profile) -> Sign:
    return Sign.build(profile)


@dataclass(frozen=True, slots=True)
class PageRender:
    raster: Raster
    on_ds: int  # page-on time, tenths of a second
    off_ds: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MultiRender:
    source: str
    pages: tuple[PageRender, ...]
    errors: tuple[MultiError, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def normalized(self) -> str:
        return normalize(self.source)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "normalized": self.normalized,
            "pages": [{"lines": list(page.lines), "page_time_s": page.on_ds / 10, "off_time_s": page.off_ds / 10}
                      for page in self.pages],
            "errors": [error.to_json() for error in self.errors],
        }


@dataclass(slots=True)
class _Span:
    text: str
    font: BitmapFont
    colour: Rgb
    justify: int
    spacing: int
    position: int


@dataclass(slots=True)
class _Line:
    font: BitmapFont
    justify_page: int
    spacing_above: int | None = None
    spans: list[_Span] = field(default_factory=list)

    @property
    def height(self) -> int:
        return max((span.font.height for span in self.spans), default=self.font.height)

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(slots=True)
class _Rect:
    x: int
    y: int
    w: int
    h: int


class _Renderer:
    """One pass over the tokens; state as the standard defines it (tags hold until changed)."""

    def __init__(self, sign: Sign, draw: bool = True) -> None:
        self.sign = sign
        self.draw = draw
        p = sign.profile
        self.errors: list[MultiError] = []
        self.pages: list[PageRender] = []
        self.font = sign.default_font
        self.colour = sign.foreground
        self.background = BLACK
        self.justify_line = CENTER
        self.justify_page = TOP
        self.spacing: int | None = None
        self.on_ds = round(p.page_time_s * 10)
        self.off_ds = 0
        self._new_page()

    # -- pages and rectangles
    def _new_page(self) -> None:
        p = self.sign.profile
        self.raster = Raster(p.width_px, p.height_px) if self.draw else _NO_RASTER
        self.page_background = self.background
        self.draws: list[tuple[str, Any]] = []
        self.page_lines: list[str] = []
        self.rect = _Rect(0, 0, p.width_px, p.height_px)
        self._new_block()

    def _new_block(self) -> None:
        self.lines = [_Line(self.font, self.justify_page)]

    def finish_page(self) -> None:
        self._layout_block()
        if self.draw:
            self._paint()
        self.pages.append(PageRender(self.raster, self.on_ds, self.off_ds, tuple(self.page_lines)))

    def _paint(self) -> None:
        self.raster.fill(0, 0, self.raster.width, self.raster.height, self.page_background)
        for kind, item in self.draws:
            if kind == "fill":
                self.raster.fill(*item)
            elif kind == "glyph":
                self._draw_glyph(*item)
            elif kind == "graphic":
                self._draw_graphic(*item)

    def error(self, kind: ErrorKind, position: int, message: str) -> None:
        self.errors.append(MultiError(kind, position, message))

    # -- text
    def add_text(self, text: str, position: int) -> None:
        for offset, char in enumerate(text):
            if self.font.glyph(char) is None:
                self.error(ErrorKind.CHARACTER_NOT_DEFINED, position + offset,
                           f"font {self.font.number} ({self.font.name}) has no character {char!r} "
                           f"(U+{ord(char):04X})")
        known = "".join(c for c in text if self.font.glyph(c) is not None)
        if not known:
            return
        line = self.lines[-1]
        spacing = self.font.char_spacing if self.spacing is None else self.spacing
        last = line.spans[-1] if line.spans else None
        if last and (last.font, last.colour, last.justify, last.spacing) == (
                self.font, self.colour, self.justify_line, spacing):
            last.text += known
        else:
            if not line.spans:
                line.justify_page = self.justify_page
            line.spans.append(_Span(known, self.font, self.colour, self.justify_line, spacing, position))

    def _layout_block(self) -> None:
        lines = self.lines
        while len(lines) > 1 and not lines[-1].spans and lines[-1].spacing_above is None:
            lines = lines[:-1]  # a trailing [nl] adds no line to lay out
        if not any(line.spans for line in lines):
            return
        kind = self.sign.profile.kind
        mh = self.sign.module[1]
        if kind is not ProfileKind.FULL:
            tall = next((span for line in lines for span in line.spans if span.font.height > mh), None)
            if tall is not None:
                self.error(ErrorKind.TEXT_TOO_BIG, tall.position,
                           f"font {tall.font.number} ({tall.font.name}) is {tall.font.height} pixels high; "
                           f"the sign's lines are {mh}")
                return
        heights = [mh if kind is not ProfileKind.FULL else line.height for line in lines]
        gaps = [0] + [
            0 if kind is not ProfileKind.FULL else
            line.spacing_above if line.spacing_above is not None else
            round((prev.font.line_spacing + line.font.line_spacing) / 2)
            for prev, line in itertools.pairwise(lines)
        ]
        total = sum(heights) + sum(gaps)
        rect = self.rect
        if total > rect.h:
            over = next((i for i in range(len(lines)) if sum(heights[: i + 1]) + sum(gaps[: i + 1]) > rect.h), 0)
            position = lines[over].spans[0].position if lines[over].spans else 0
            self.error(ErrorKind.TEXT_TOO_BIG, position,
                       f"{len(lines)} lines need {total} pixels of height, the text area has {rect.h}")
            return
        y = {TOP: rect.y, MIDDLE: rect.y + (rect.h - total) // 2, BOTTOM: rect.y + rect.h - total}[
            lines[0].justify_page]
        if kind is ProfileKind.CHARACTER:
            y = rect.y + (y - rect.y) // mh * mh  # rows of modules only
        for line, height, gap in zip(lines, heights, gaps, strict=True):
            y += gap
            self._layout_line(line, y, height)
            self.page_lines.append(line.text)
            y += height

    def _span_width(self, span: _Span) -> int:
        if self.sign.profile.kind is ProfileKind.CHARACTER:
            return len(span.text) * self.sign.module[0]
        return span.font.text_width(span.text, span.spacing)

    def _layout_line(self, line: _Line, y: int, height: int) -> None:
        rect = self.rect
        groups: dict[int, list[_Span]] = {LEFT: [], CENTER: [], RIGHT: []}
        for span in line.spans:
            groups[span.justify].append(span)
        widths = {j: sum(self._span_width(s) for s in spans) + sum(s.spacing for s in spans[1:])
                  for j, spans in groups.items()}
        if self.sign.profile.kind is ProfileKind.CHARACTER:
            widths = {j: sum(self._span_width(s) for s in spans) for j, spans in groups.items()}
        starts = {LEFT: rect.x, CENTER: rect.x + (rect.w - widths[CENTER]) // 2, RIGHT: rect.x + rect.w - widths[RIGHT]}
        if self.sign.profile.kind is ProfileKind.CHARACTER:
            mw = self.sign.module[0]
            starts = {j: rect.x + (start - rect.x) // mw * mw for j, start in starts.items()}
        overlap = (widths[LEFT] and widths[CENTER] and starts[LEFT] + widths[LEFT] > starts[CENTER]) or (
            widths[CENTER] and widths[RIGHT] and starts[CENTER] + widths[CENTER] > starts[RIGHT]) or (
            widths[LEFT] and widths[RIGHT] and starts[LEFT] + widths[LEFT] > starts[RIGHT])
        if sum(widths.values()) > rect.w or overlap:
            self.error(ErrorKind.TEXT_TOO_BIG, line.spans[0].position,
                       f"line {line.text!r} is {sum(widths.values())} pixels wide, the text area has {rect.w}")
            return
        for justify, spans in groups.items():
            x = starts[justify]
            for span in spans:
                x = self._place_span(span, x, y, height)

    def _place_span(self, span: _Span, x: int, y: int, height: int) -> int:
        character = self.sign.profile.kind is ProfileKind.CHARACTER
        mw = self.sign.module[0]
        for char in span.text:
            glyph = span.font.glyphs[char]
            top = y if character else y + height - span.font.height  # characters sit on the line's baseline
            self.draws.append(("glyph", (glyph, x, top, span.colour)))
            x += mw if character else glyph.width + span.spacing
        return x

    def _draw_glyph(self, glyph: Any, x: int, y: int, colour: Rgb) -> None:
        raster, value = self.raster, bytes(colour)
        for row, bits in enumerate(glyph.rows):
            yy = y + row
            if not bits or not 0 <= yy < raster.height:
                continue
            for col in range(glyph.width):
                xx = x + col
                if bits >> (glyph.width - 1 - col) & 1 and 0 <= xx < raster.width:
                    start = (yy * raster.width + xx) * 3
                    raster.pixels[start : start + 3] = value

    def _draw_graphic(self, number: int, x: int, y: int) -> None:
        picture = PICTOGRAMS[number]
        mono = self.sign.scheme != "color24bit"
        for row, cells in enumerate(picture.cells):
            for col, cell in enumerate(cells):
                if cell is None:
                    continue
                colour, lit_on_mono = cell
                if mono:
                    colour = self.sign.foreground if lit_on_mono else self.page_background
                self.raster.set(x + col, y + row, colour)

    # -- tags
    def tag(self, tag: Tag) -> None:
        handler = getattr(self, "_tag_" + tag.name.lstrip("/").replace("/", "_"), None)
        if tag.name in UNSUPPORTED:
            self.error(ErrorKind.UNSUPPORTED_TAG, tag.position, f"[{tag.name}…]: {UNSUPPORTED[tag.name]}")
        elif tag.name.startswith("/") and tag.name != "/sc":
            self.error(ErrorKind.UNSUPPORTED_TAG, tag.position, f"unknown tag [{tag.name}]")
        elif tag.name == "/sc":
            self.spacing = None
        elif handler is None:
            self.error(ErrorKind.UNSUPPORTED_TAG, tag.position, f"unknown tag [{tag.name}]")
        else:
            handler(tag)

    def _bad_value(self, tag: Tag, why: str) -> None:
        self.error(ErrorKind.UNSUPPORTED_TAG_VALUE, tag.position, f"{tag.canonical()}: {why}")

    def _tag_nl(self, tag: Tag) -> None:
        spacing = int(tag.args[0]) if tag.args else None
        if spacing and self.sign.profile.kind is not ProfileKind.FULL:
            self._bad_value(tag, "line spacing can only be set on full-matrix signs")
            spacing = None
        self.lines.append(_Line(self.font, self.justify_page, spacing))

    def _tag_np(self, tag: Tag) -> None:
        self.finish_page()
        if len(self.pages) == self.sign.profile.max_pages:
            self.error(ErrorKind.TOO_MANY_PAGES, tag.position,
                       f"the sign holds {self.sign.profile.max_pages} pages; this message has more")
        self._new_page()

    def _tag_jl(self, tag: Tag) -> None:
        value = int(tag.args[0]) if tag.args else CENTER
        if value not in (LEFT, CENTER, RIGHT):
            self._bad_value(tag, "line justification must be 2 (left), 3 (centre) or 4 (right)")
            return
        if any(span.justify > value for span in self.lines[-1].spans):
            self.error(ErrorKind.TAG_CONFLICT, tag.position, f"{tag.canonical()} goes back within a line")
        self.justify_line = value

    def _tag_jp(self, tag: Tag) -> None:
        value = int(tag.args[0]) if tag.args else TOP
        if value not in (TOP, MIDDLE, BOTTOM):
            self._bad_value(tag, "page justification must be 2 (top), 3 (middle) or 4 (bottom)")
            return
        if any(line.spans and line.justify_page != value for line in self.lines):
            self.error(ErrorKind.TAG_CONFLICT, tag.position,
                       f"{tag.canonical()} changes page justification inside a text area that has text")
        self.justify_page = value
        if not self.lines[-1].spans:
            self.lines[-1].justify_page = value

    def _tag_fo(self, tag: Tag) -> None:
        if not tag.args:
            self.font = self.sign.default_font
            return
        font = self.sign.fonts.get(int(tag.args[0]))
        if font is None:
            numbers = ", ".join(f"{n} ({f.name})" for n, f in sorted(self.sign.fonts.items()))
            self.error(ErrorKind.FONT_NOT_DEFINED, tag.position,
                       f"the sign has no font {tag.args[0]} (it has {numbers})")
            return
        self.font = font
        if not self.lines[-1].spans:
            self.lines[-1].font = font

    def _tag_pt(self, tag: Tag) -> None:
        on, off = tag.args[0], tag.args[1]
        if any(v and int(v) > 255 for v in (on, off)):
            self._bad_value(tag, "page times are tenths of a second from 0 to 255")
            return
        self.on_ds = int(on) if on else round(self.sign.profile.page_time_s * 10)
        self.off_ds = int(off) if off else 0

    def _colour(self, tag: Tag, default: Rgb) -> Rgb | None:
        values = [int(v) for v in tag.args]
        if not values:
            return default
        if self.sign.scheme == "color24bit":
            if len(values) == 3 and all(v <= 255 for v in values):
                return (values[0], values[1], values[2])
            if len(values) == 1 and values[0] in CLASSIC_COLOURS:
                return CLASSIC_COLOURS[values[0]]
            self._bad_value(tag, "colour must be a classic colour 0-9 or r,g,b from 0 to 255")
            return None
        if len(values) == 1 and values[0] in (0, 1):
            return self.sign.foreground if values[0] else BLACK
        self._bad_value(tag, "a monochrome sign takes colour 0 (off) or 1 (on)")
        return None

    def _tag_cf(self, tag: Tag) -> None:
        colour = self._colour(tag, self.sign.foreground)
        if colour is not None:
            self.colour = colour

    def _tag_pb(self, tag: Tag) -> None:
        colour = self._colour(tag, BLACK)
        if colour is not None:
            self.background = self.page_background = colour

    _tag_cb = _tag_pb

    def _in_sign(self, x: int, y: int, w: int, h: int) -> bool:
        p = self.sign.profile
        return x >= 1 and y >= 1 and w >= 0 and h >= 0 and x - 1 + w <= p.width_px and y - 1 + h <= p.height_px

    def _tag_cr(self, tag: Tag) -> None:
        if self.sign.profile.kind is not ProfileKind.FULL:
            self.error(ErrorKind.UNSUPPORTED_TAG, tag.position, "colour rectangles need a full-matrix sign")
            return
        x, y, w, h = (int(v) for v in tag.args[:4])
        colour = self._colour(Tag("cr", tag.args[4:], tag.position), BLACK)
        if not self._in_sign(x, y, w, h) or w == 0 or h == 0:
            self._bad_value(tag, "the rectangle must lie inside the sign")
        elif colour is not None:
            self.draws.append(("fill", (x - 1, y - 1, w, h, colour)))

    def _tag_tr(self, tag: Tag) -> None:
        p = self.sign.profile
        x, y, w, h = (int(v) for v in tag.args)
        w = w or p.width_px - x + 1
        h = h or p.height_px - y + 1
        mw, mh = self.sign.module
        if not self._in_sign(x, y, w, h):
            self._bad_value(tag, "the text rectangle must lie inside the sign")
            return
        if p.kind is ProfileKind.CHARACTER and ((x - 1) % mw or (y - 1) % mh or w % mw or h % mh):
            self._bad_value(tag, f"on a character-matrix sign a text rectangle follows the {mw}x{mh} modules")
            return
        self._layout_block()
        self.rect = _Rect(x - 1, y - 1, w, h)
        self._new_block()

    def _tag_g(self, tag: Tag) -> None:
        if self.sign.profile.kind is ProfileKind.CHARACTER:
            self.error(ErrorKind.UNSUPPORTED_TAG, tag.position, "graphics need a line- or full-matrix sign")
            return
        number = int(tag.args[0])
        picture = PICTOGRAMS.get(number)
        if picture is None:
            self.error(ErrorKind.GRAPHIC_NOT_DEFINED, tag.position, f"no graphic {number}")
            return
        x, y = (int(tag.args[1]), int(tag.args[2])) if len(tag.args) >= 3 else (1, 1)
        if not self._in_sign(x, y, picture.width, picture.height):
            self._bad_value(tag, f"graphic {number} ({picture.width}x{picture.height}) does not fit at {x},{y}")
            return
        self.draws.append(("graphic", (number, x - 1, y - 1)))

    def _tag_sc(self, tag: Tag) -> None:
        value = int(tag.args[0])
        if self.sign.profile.kind is ProfileKind.CHARACTER and value:
            self._bad_value(tag, "character spacing is fixed on a character-matrix sign")
            return
        self.spacing = value

    def _tag_hc(self, tag: Tag) -> None:
        self.add_text(chr(int(tag.args[0], 16)), tag.position)


_NO_RASTER = Raster(0, 0)


def render_multi(multi: str, profile: Profile, draw: bool = True) -> MultiRender:
    """Render ``multi`` on a sign of ``profile``: one raster per page, and every error with its position.

    With ``draw=False`` only the layout is checked (the same errors, empty rasters): how the generator proves
    that what it wrote fits, at a fraction of the cost.
    """
    sign = Sign.of(profile)
    tokens, syntax_errors = tokenize(multi)
    renderer = _Renderer(sign, draw)
    renderer.errors.extend(syntax_errors)
    for token in tokens:
        if isinstance(token, Text):
            renderer.add_text(token.text, token.position)
        else:
            renderer.tag(token)
    renderer.finish_page()
    errors = sorted(renderer.errors, key=lambda e: e.position)
    return MultiRender(multi, tuple(renderer.pages), tuple(errors))
