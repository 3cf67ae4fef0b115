"""Laying out and drawing the pages of a MULTI message: lines of spans placed in the text rectangle by their
line and page justification, glyphs and graphics drawn on the page's raster. Text that does not fit is an error
with its position, as the standard words it. What each tag changes is ``renderers.multi_render``'s."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from renderers.fonts import BitmapFont
from renderers.multi_sign import PageRender, Sign
from renderers.multi_syntax import ErrorKind, MultiError
from renderers.pictograms import PICTOGRAMS
from renderers.raster import BLACK, Raster, Rgb
from signage.model import ProfileKind

__all__ = ["BOTTOM", "CENTER", "LEFT", "MIDDLE", "RIGHT", "TOP", "PageLayout", "Rect"]

LEFT, CENTER, RIGHT = 2, 3, 4
TOP, MIDDLE, BOTTOM = 2, 3, 4
_NO_RASTER = Raster(0, 0)


@dataclass(slots=True)
class _Span:
    text: str
    font: BitmapFont
    colour: Rgb
    justify: int
    spacing: int
    position: int


@dataclass(slots=True)
class Line:
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
class Rect:
    x: int
    y: int
    w: int
    h: int


class PageLayout:
    """Pages as MULTI builds them: text in spans and lines, laid out in the current text rectangle with its
    justification, then drawn (or, without ``draw``, only checked). Tags hold until changed, as the standard says."""

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
        self.rect = Rect(0, 0, p.width_px, p.height_px)
        self._new_block()

    def _new_block(self) -> None:
        self.lines = [Line(self.font, self.justify_page)]

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

    def _layout_line(self, line: Line, y: int, height: int) -> None:
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
