"""Frames are exactly what they were reviewed to be: byte for byte against the golden files."""

from __future__ import annotations

import pytest

from tests.renderers.golden_cases import GOLDEN, all_cases

CASES = all_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_frames_match_the_golden_files_byte_for_byte(name: str) -> None:
    frames, art = CASES[name]
    assert art == (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")  # a readable diff first
    assert frames == (GOLDEN / f"{name}.frames").read_bytes()


def test_a_monochrome_frame_is_one_bit_per_led_and_a_colour_one_three_bytes() -> None:
    assert len(CASES["char-parking"][0]) == 120 * 24 // 8
    assert len(CASES["amber-pages"][0]) == 2 * 96 * 32 // 8  # two pages
    assert len(CASES["rgb-alert"][0]) == 192 * 64 * 3
