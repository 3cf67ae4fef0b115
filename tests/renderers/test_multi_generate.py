"""MULTI generated from messages: whole lines where they fit, French abbreviations, wrapping, pages, pictograms,
and a clear refusal when the sign cannot show the message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renderers.cache import RenderCache
from renderers.multi import DoesNotFit, LedText, compose_multi
from renderers.multi_render import render_multi
from renderers.panel_content import LedResult, led_multi
from renderers.pictograms import PICTOGRAMS
from signage.profiles import BUILT_IN_PROFILES

CHAR = BUILT_IN_PROFILES["char-3x20"]
AMBER = BUILT_IN_PROFILES["full-96x32-amber"]
RGB = BUILT_IN_PROFILES["full-192x64-rgb"]
LED_PROFILES = [p for p in BUILT_IN_PROFILES.values() if p.kind.value != "kiosk"]
WORDS = st.sampled_from(["Darcy", "Parking", "places", "1\u202f200", "ALERTE", "Vent", "violent", "TRAM", "T1",
                         "perturbé", "[Info]", "C’est", "–", "Liberté", "boulevard", "10h", "Indice", "4/6"])
LINES = st.lists(st.lists(WORDS, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=4).map(tuple)
MESSAGES = st.lists(st.tuples(LINES, st.sampled_from(["", *(p.name for p in PICTOGRAMS.values())])),
                    min_size=1, max_size=4)


@pytest.mark.parametrize(("lines", "pictogram", "profile", "expected"), [
    (("Darcy 120 pl", "Dauphine --"), "", CHAR, "[jl3]Darcy 120 pl[nl]Dauphine --"),
    # Too long for 20 characters: abbreviated (longest words first) rather than wrapped.
    (("Parking Darcy 1\u202f200 places",), "", CHAR, "[jl3]Pkg Darcy 1\u00a0200 pl"),
    (("PERTURBATION TRAM T1 BOULEVARD",), "", CHAR, "[jl3]PERTURB TRAM T1 BD"),
    # Still too long once abbreviated: wrapped on whole words, the thousands kept together.
    (("Collecte des déchets demain matin rue de la Liberté",), "", CHAR,
     "[jl3]Collecte des déchets[nl]demain matin rue de[nl]la Liberté"),
    # More lines than the sign has: pages, with the profile's page time.
    (("L1", "L2", "L3", "L4"), "", CHAR, "[pt30o0][jl3]L1[nl]L2[nl]L3[np][jl3]L4"),
    # Brackets are text, not tags; typographic characters the font lacks become plain ones.
    (("[Info] C’est – 10h",), "", CHAR, "[jl3][[Info]] C'est - 10h"),
    # A pixel panel puts the pictogram at the left, centred, and the text beside it.
    (("Darcy 120 pl",), "parking", AMBER, "[g1,1,10][tr17,13,80,0][jl3]Darcy 120 pl"),
    (("AIR MAUVAIS", "Indice 4/6"), "air-4", RGB, "[g14,1,26][tr17,19,176,0][jl3]AIR MAUVAIS[nl]Indice 4/6"),
    # A character-matrix sign has no graphics: the pictogram is left out.
    (("Darcy 120 pl",), "parking", CHAR, "[jl3]Darcy 120 pl"),
])
def test_generated_multi(lines: tuple[str, ...], pictogram: str, profile: object, expected: str) -> None:
    multi = compose_multi([LedText(lines, pictogram)], profile)  # type: ignore[arg-type]
    assert multi == expected
    assert render_multi(multi, profile).valid  # type: ignore[arg-type]


def test_each_message_starts_on_its_own_page() -> None:
    multi = compose_multi([LedText(("ALERTE", "Vent violent")), LedText(("Darcy 120 pl",))], CHAR)
    assert multi == "[pt30o0][jl3]ALERTE[nl]Vent violent[np][jl3]Darcy 120 pl"


def test_a_word_that_cannot_fit_is_refused_with_the_reason() -> None:
    with pytest.raises(DoesNotFit, match=r"the word 'Anticonstitutionnellement' is 25 characters wide; a line of "
                                         r"char-3x20 holds 20"):
        compose_multi([LedText(("Anticonstitutionnellement",))], CHAR)


def test_a_message_longer_than_the_sign_holds_is_refused_with_the_reason() -> None:
    with pytest.raises(DoesNotFit, match="the message needs 5 pages; char-3x20 shows at most 4"):
        compose_multi([LedText(tuple(f"Ligne {n}" for n in range(13)))], CHAR)


def test_on_a_panel_a_message_that_does_not_fit_is_shortened_or_left_out_and_reported() -> None:
    texts = (("alert:1", LedText(("ALERTE", "Vent violent"))),
             ("long", LedText(tuple(f"Ligne {n}" for n in range(12)))),
             ("huge", LedText(("Anticonstitutionnellement",))))
    multi, problems, refused = led_multi(CHAR, texts, RenderCache())
    assert multi == "[pt30o0][jl3]ALERTE[nl]Vent violent[np][jl3]Ligne 0"
    assert problems == (
        "long: shortened to its first line on char-3x20 (char-3x20 shows at most 4 pages)",
        "huge: not shown on char-3x20: the word 'Anticonstitutionnellement' is 25 characters wide; a line of "
        "char-3x20 holds 20",
    )
    [refusal] = refused
    assert refusal.message_id == "huge" and refusal.reason == problems[1].split(": ", 2)[2]
    assert refusal.to_json() == {"message": "huge", "reason": refusal.reason, "code": "word_too_wide",
                                 "word": "Anticonstitutionnellement", "width": 25, "unit": "characters", "room": 20}


def test_a_thousand_panels_of_one_profile_cost_one_render() -> None:
    cache: RenderCache[LedResult] = RenderCache()
    texts = (("parking", LedText(("Darcy 120 pl", "Dauphine 80 pl"), "parking")),)
    results = {led_multi(AMBER, texts, cache) for _ in range(1000)}
    assert len(results) == 1
    assert (cache.misses, cache.hits) == (1, 999)
    led_multi(CHAR, texts, cache)  # another profile is another render
    assert cache.misses == 2


@settings(max_examples=300, deadline=None)
@given(MESSAGES, st.sampled_from(LED_PROFILES))
def test_what_is_composed_page_by_page_is_accepted_whole(messages: list[tuple[tuple[str, ...], str]],
                                                          profile: object) -> None:
    """The generator checks each page it writes alone (and remembers pages it has seen); the sign reads them
    together, so what it hands out must pass the check of the whole MULTI too."""
    try:
        multi = compose_multi([LedText(lines, pictogram) for lines, pictogram in messages], profile)  # type: ignore[arg-type]
    except DoesNotFit:
        return
    assert render_multi(multi, profile, draw=False).valid  # type: ignore[arg-type]
