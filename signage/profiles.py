"""Panel profiles the package ships, usable by name anywhere a profile is expected."""

from __future__ import annotations

from signage.model import Profile, ProfileKind

__all__ = ["BUILT_IN_PROFILES"]

BUILT_IN_PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        # A character-matrix sign: 3 rows of 20 character modules, each 5x7 LEDs with a 1-LED gap.
        Profile("char-3x20", ProfileKind.CHARACTER, 120, 24, 3, 20, "amber", "5x7", 4, 3.0),
        # A small monochrome full-matrix sign: four 7-pixel rows with 1-pixel leading.
        Profile("full-96x32-amber", ProfileKind.FULL, 96, 32, 4, 16, "amber", "5x7", 4, 3.0),
        # A colour pixel wall: eight rows of 32 characters.
        Profile("full-192x64-rgb", ProfileKind.FULL, 192, 64, 8, 32, "rgb", "5x7", 6, 4.0),
        # A web kiosk on a 1080p screen, read from a few metres.
        Profile("kiosk-1080p", ProfileKind.KIOSK, 1920, 1080, 8, 40, "rgb", "sans", 6, 8.0),
    )
}
