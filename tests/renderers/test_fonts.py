"""The sign fonts: every accented capital a French, German or Dutch text needs is drawn with its accent, so that
a sign reads "AIR DÉGRADÉ", never "AIR DEGRADE"."""

from __future__ import annotations

import unicodedata

import pytest

from renderers.fonts import font_names, load_font

CAPITALS = "ÀÂÄÇÈÉÊËÎÏÔÖÙÛÜŸÆŒ"


@pytest.mark.parametrize("name", font_names())
def test_every_accented_capital_differs_from_its_letter(name: str) -> None:
    font = load_font(name)
    for capital in CAPITALS:
        glyph = font.glyph(capital)
        if glyph is None:
            continue  # drawn with its base letter by sign_text, on purpose and said
        letter = unicodedata.normalize("NFD", capital)[0]
        base = font.glyph(letter) if letter != capital else None  # Æ and Œ are letters of their own
        assert base is None or glyph != base, f"{name}: {capital} is drawn as its plain letter"


def test_the_5x7_font_has_the_accents_of_degrade() -> None:
    font = load_font("5x7")
    assert font.glyph("É") is not None and font.glyph("É") != font.glyph("E")
    assert font.glyph("È") != font.glyph("É")  # grave and acute told apart
