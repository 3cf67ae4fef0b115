"""Frames for pixel walls: the pages of a message with their times, and horizontal scrolling of one line.

Every frame is a raster at the wall's native resolution; nothing is scaled or smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass

from renderers.fonts import load_font
from renderers.multi import sign_text
from renderers.multi_render import render_multi
from renderers.multi_sign import Sign
from renderers.raster import Raster
from signage.model import Profile

__all__ = ["Frame", "page_frames", "scroll_frames"]


@dataclass(frozen=True, slots=True)
class Frame:
    raster: Raster
    duration_ms: int


def page_frames(multi: str, profile: Profile) -> list[Frame]:
    """One frame per page, held for its page-on time then dark for its page-off time (a single page holds)."""
    result = render_multi(multi, profile)
    if not result.valid:
        raise ValueError("; ".join(e.message for e in result.errors))
    frames: list[Frame] = []
    for page in result.pages:
        frames.append(Frame(page.raster, page.on_ds * 100 if len(result.pages) > 1 else 0))
        if page.off_ds and len(result.pages) > 1:
            frames.append(Frame(Raster(profile.width_px, profile.height_px), page.off_ds * 100))
    return frames


def scroll_frames(text: str, profile: Profile, step_px: int = 1, step_ms: int = 40) -> list[Frame]:
    """``text`` on one line moving right to left across the wall: it enters at the right edge and has left at the
    left edge in the last frame. ``step_px`` pixels per frame, ``step_ms`` per frame."""
    sign = Sign.of(profile)
    font = load_font(profile.font)
    text = sign_text(text, font)
    width = font.text_width(text)
    strip = Raster(width, profile.height_px)
    top = (profile.height_px - font.height) // 2
    x = 0
    for char in text:
        glyph = font.glyphs[char]
        for row, bits in enumerate(glyph.rows):
            for col in range(glyph.width):
                if bits >> (glyph.width - 1 - col) & 1:
                    strip.set(x + col, top + row, sign.foreground)
        x += glyph.width + font.char_spacing
    return [Frame(strip.window(offset, profile.width_px), step_ms)
            for offset in range(-profile.width_px, width + 1, max(1, step_px))]
