"""NTCIP 1203 MULTI rendered to pixels for a sign profile, validated the way the standard does.

A message fits a sign when it renders: every character in a font the sign has, every line inside its text
rectangle, no more pages than the sign holds. What does not render gets the standard's error kind and position,
so a sign that cannot show a message is caught here, before it reaches the street. This module says what each
tag does; ``renderers.multi_page`` lays out and draws the pages, ``renderers.multi_sign`` describes the sign.
"""

from __future__ import annotations

from renderers.multi_page import BOTTOM, CENTER, LEFT, MIDDLE, RIGHT, TOP, Line, PageLayout, Rect
from renderers.multi_sign import MultiRender, PageRender, Sign
from renderers.multi_syntax import ErrorKind, Tag, Text, spec_problem, tokenize
from renderers.pictograms import PICTOGRAMS
from renderers.raster import BLACK, CLASSIC_COLOURS, Rgb
from signage.model import Profile, ProfileKind

__all__ = ["MultiRender", "PageRender", "Sign", "render_multi"]

UNSUPPORTED = {
    "flt": "flashing text is not shown: it harms readability and accessibility",
    "flo": "flashing text is not shown: it harms readability and accessibility",
    "/fl": "flashing text is not shown: it harms readability and accessibility",
    "mv": "moving text is sent as frames to pixel panels, not as a MULTI tag",
    "f": "field tags (clock, temperature…) are filled in by the engine before sending",
    "ms": "manufacturer-specific tags are not supported",
    "/ms": "manufacturer-specific tags are not supported",
}


class _Renderer(PageLayout):
    """One pass over the tokens: each tag changes the state it names, text goes to the current line."""

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
        elif (problem := spec_problem(tag)) is not None:  # out of the standard's own range, whatever the sign
            self.error(ErrorKind.UNSUPPORTED_TAG_VALUE, tag.position, problem)
        else:
            handler(tag)

    def _bad_value(self, tag: Tag, why: str) -> None:
        self.error(ErrorKind.UNSUPPORTED_TAG_VALUE, tag.position, f"{tag.canonical()}: {why}")

    def _tag_nl(self, tag: Tag) -> None:
        spacing = int(tag.args[0]) if tag.args else None
        if spacing and self.sign.profile.kind is not ProfileKind.FULL:
            self._bad_value(tag, "line spacing can only be set on full-matrix signs")
            spacing = None
        self.lines.append(Line(self.font, self.justify_page, spacing))

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
        self.rect = Rect(x - 1, y - 1, w, h)
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
