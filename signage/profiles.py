"""Panel profiles the package ships, usable by name anywhere a profile is expected."""

from __future__ import annotations

from signage.model import Profile, ProfileKind

__all__ = ["BUILT_IN_PROFILES"]

BUILT_IN_PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        # A character-matrix sign: 3 rows of 20 character modules of 6x8 LEDs, each holding one 5x7 glyph.
        Profile("char-3x20", ProfileKind.CHARACTER, 120, 24, 3, 20, "amber", "5x7", 4, 3.0),
        # A small monochrome full-matrix sign: four 7-pixel rows with 1-pixel leading, 19 glyphs of 5 pixels.
        Profile("full-96x32-amber", ProfileKind.FULL, 96, 32, 4, 19, "amber", "5x7", 4, 3.0, ("5x7", "6x10", "7x13B")),
        # A colour pixel wall read from across a square: four rows of the bold 7x13 font.
        Profile("full-192x64-rgb", ProfileKind.FULL, 192, 64, 4, 27, "rgb", "7x13B", 6, 4.0, ("5x7", "6x10", "7x13B")),
        # A web kiosk on a 1080p screen, read from a few metres.
        Profile("kiosk-1080p", ProfileKind.KIOSK, 1920, 1080, 8, 40, "rgb", "sans", 6, 8.0),
    )
}
