"""What rendering MULTI needs of a sign (geometry, fonts by number, colours), and what it gives back: a raster per
page and every error with its position."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from renderers.fonts import BitmapFont, load_font
from renderers.multi_syntax import MultiError, normalize
from renderers.raster import CLASSIC_COLOURS, MONOCHROME_COLOURS, Raster, Rgb, scheme_of
from signage.model import Profile, ProfileKind

__all__ = ["MultiRender", "PageRender", "Sign"]


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
