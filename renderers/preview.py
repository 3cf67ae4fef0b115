"""PNG previews of what a panel shows: every page of a LED sign, one under the other, as its LEDs light up.

A kiosk has no LEDs: its preview draws the same pages on a small colour matrix, enough to recognise the screen in
the control room (its real look is the kiosk page itself).
"""

from __future__ import annotations

from typing import Any

from renderers.multi import DoesNotFit, LedText, compose_multi
from renderers.multi_render import render_multi
from renderers.raster import Raster, png_bytes
from signage.model import Profile, ProfileKind

__all__ = ["KIOSK_PREVIEW", "panel_preview_png", "stack_pages"]

KIOSK_PREVIEW = Profile("kiosk-preview", ProfileKind.FULL, 320, 180, 12, 45, "rgb", "7x13B", 8, 8.0,
                        ("5x7", "6x10", "7x13B"))
PAGE_GAP = 3


def stack_pages(pages: list[Raster]) -> Raster:
    width = max(page.width for page in pages)
    out = Raster(width, sum(page.height for page in pages) + PAGE_GAP * (len(pages) - 1))
    y = 0
    for page in pages:
        for row in range(page.height):
            start = (y + row) * width * 3
            out.pixels[start : start + page.width * 3] = page.pixels[row * page.width * 3 : (row + 1) * page.width * 3]
        y += page.height + PAGE_GAP
    return out


def panel_preview_png(content: dict[str, Any], profile: Profile) -> bytes:
    """The preview of a panel content document (as ``GET /api/v1/panels/{id}/content`` returns it)."""
    if profile.kind is ProfileKind.KIOSK:
        texts = [LedText((page["title"], *page["lines"]), page.get("pictogram") or "") for page in content["pages"]]
        try:
            multi = compose_multi(texts[: KIOSK_PREVIEW.max_pages], KIOSK_PREVIEW)
        except DoesNotFit:
            multi = compose_multi([LedText((t.lines[0],)) for t in texts[:1]], KIOSK_PREVIEW)
        profile, scale = KIOSK_PREVIEW, 2
    else:
        multi, scale = content.get("multi", ""), 4
    result = render_multi(multi, profile)
    return png_bytes(stack_pages([page.raster for page in result.pages]), scale)
