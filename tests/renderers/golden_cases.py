"""The golden frames: MULTI strings on built-in profiles, and scrolling text, with the files they must produce.

Rebuild after a deliberate change with ``python -m tests.renderers.golden_cases`` and review the text-art diff.
"""

from __future__ import annotations

from pathlib import Path

from renderers.multi_render import render_multi
from renderers.pixel_frames import scroll_frames
from renderers.raster import Raster, frame_bytes, scheme_of
from signage.profiles import BUILT_IN_PROFILES

GOLDEN = Path(__file__).with_name("golden")
PAGE_CASES = {
    "char-parking": ("char-3x20", "[jl3]P DARCY[nl]120 PL[nl]Gare COMPLET"),
    "amber-parking": ("full-96x32-amber", "[g1,1,10][tr17,5,80,0][jl3]Darcy 1\u00a0200 pl[nl]Dauphine --[nl]"
                                          "Grangier CPLT"),
    "amber-air": ("full-96x32-amber", "[g14,1,10][tr17,9,80,0][jl2]AIR MAUVAIS[nl]Indice 4/6"),
    "amber-pages": ("full-96x32-amber", "[pt30o0][jl3][fo2]TRAM T1[np][fo1][jl4]Perturbé[nl][jl2]15 min"),
    "rgb-alert": ("full-192x64-rgb", "[pb0][g2,1,26][tr18,1,175,0][jp3][cf255,80,80]ALERTE[nl][cf7]Vent violent"),
}
SCROLL_CASE = ("full-96x32-amber", "Marché de Noël", 8)


def page_rasters(name: str) -> list[Raster]:
    profile_name, multi = PAGE_CASES[name]
    result = render_multi(multi, BUILT_IN_PROFILES[profile_name])
    assert result.valid, result.errors
    return [page.raster for page in result.pages]


def scroll_rasters() -> list[Raster]:
    profile_name, text, step = SCROLL_CASE
    return [frame.raster for frame in scroll_frames(text, BUILT_IN_PROFILES[profile_name], step)]


def frames_file(name: str, rasters: list[Raster], scheme: str) -> tuple[bytes, str]:
    return b"".join(frame_bytes(r, scheme) for r in rasters), "\n\n".join(r.text_art() for r in rasters) + "\n"


def all_cases() -> dict[str, tuple[bytes, str]]:
    cases = {name: frames_file(name, page_rasters(name), scheme_of(BUILT_IN_PROFILES[PAGE_CASES[name][0]].colour))
             for name in PAGE_CASES}
    cases["amber-scroll"] = frames_file("amber-scroll", scroll_rasters(), "monochrome1bit")
    return cases


if __name__ == "__main__":
    for name, (frames, art) in all_cases().items():
        (GOLDEN / f"{name}.frames").write_bytes(frames)
        (GOLDEN / f"{name}.txt").write_text(art, encoding="utf-8")
        print(f"wrote {name}: {len(frames)} bytes")
