"""The MULTI tokenizer and normaliser: what a sloppy string becomes, and that nothing crashes them (fuzzed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renderers.multi_render import render_multi
from renderers.multi_syntax import ErrorKind, Tag, Text, normalize, tokenize
from signage.profiles import BUILT_IN_PROFILES

LED_PROFILES = [p for p in BUILT_IN_PROFILES.values() if p.kind.value != "kiosk"]


def test_tags_are_read_whatever_their_case_and_spacing() -> None:
    tokens, errors = tokenize("[JL3]Gare [ nl ]Dijon[PT30O5][g1, 2,3]")
    assert errors == []
    assert tokens == [Tag("jl", ("3",), 0), Text("Gare ", 5), Tag("nl", (), 10), Text("Dijon", 16),
                      Tag("pt", ("30", "5"), 21), Tag("g", ("1", "2", "3"), 29)]


def test_doubled_brackets_are_literal_text() -> None:
    tokens, errors = tokenize("[[A]] [nl]")
    assert errors == [] and tokens[0] == Text("[A] ", 0)


def test_sloppy_input_is_normalised() -> None:
    assert normalize("[JL3]Hello [ NL ]World[pt030o][np]x]y[[z") == "[jl3]Hello [nl]World[pt30o][np]xy[[z"
    assert normalize("a[b") == "ab"  # a stray bracket is dropped, as the page's lines drop it
    assert normalize("A\x07B[fo1,0A1B]") == "AB[fo1,0a1b]"  # control characters dropped, hex kept as written
    assert normalize("[nl 9 9]A") == "A"  # a malformed tag is dropped


# What IRIS's MultiString tests and the ntcip crate's parser say of each: the normalized form and the error kind.
NORMALIZATION = [
    ("[jl6]A", "A", "unsupportedTagValue"),  # justification 1 to 5
    ("[jp5]A", "A", "unsupportedTagValue"),  # page justification 1 to 4
    ("[cb256]A", "A", "unsupportedTagValue"),
    ("[cb0,0,0]A", "A", "unsupportedTagValue"),  # [cb] takes only the legacy colour number
    ("[pb256,0,0]A", "A", "unsupportedTagValue"),
    ("[pb0,0,0]A", "[pb0,0,0]A", None),
    ("[cf255,128,0]A", "[cf255,128,0]A", None),
    ("[fo0]A", "A", "unsupportedTagValue"),  # fonts are numbered from 1
    ("[xx]A", "A", "unsupportedTag"),
    ("[j1x]A", "A", "unsupportedTag"),
    ("[jlx]A", "A", "unsupportedTagValue"),  # a known tag with a malformed value
    ("[sc0]A", "A", "unsupportedTagValue"),
    ("[g0]A", "A", "unsupportedTagValue"),
    ("A]B", "AB", "other"),
    ("[[A]]", "[[A]]", None),
    ("[JL3]P DARCY[ NL ]COMPLET", "[jl3]P DARCY[nl]COMPLET", None),
    ("[pt30o0]A", "[pt30o0]A", None),
]


@pytest.mark.parametrize(("multi", "normalized", "kind"), NORMALIZATION)
def test_normalization_and_error_kinds_follow_the_reference_implementations(multi: str, normalized: str,
                                                                            kind: str | None) -> None:
    from signage.config import demo_config_path, load_config
    from signage.render_command import multi_report

    report = multi_report(load_config(demo_config_path()), "full-192x64-rgb", multi)
    assert report["normalized"] == normalized
    assert [e["kind"] for e in report["errors"]] == ([kind] if kind else [])
    assert [line for page in report["pages"] for line in page["lines"]] == [
        line for page in multi_report(load_config(demo_config_path()), "full-192x64-rgb", normalized)["pages"]
        for line in page["lines"]]  # the pages say what the normalized string says


def test_syntax_errors_say_where() -> None:
    _, errors = tokenize("GARE [nl")
    assert [(e.kind, e.position) for e in errors] == [(ErrorKind.OTHER, 5)]
    assert "never closed" in errors[0].message
    _, errors = tokenize("A]B")
    assert [(e.kind.standard_name, e.position) for e in errors] == [("other", 1)]


PIECES = st.sampled_from([
    "[nl]", "[np]", "[jl2]", "[JL 4]", "[jl5]", "[jp3]", "[fo1]", "[fo2]", "[fo9]", "[pt20o5]", "[pt300o]", "[cf1]",
    "[cf255,0,0]", "[pb0]", "[g1,1,1]", "[g11,50,3]", "[g99]", "[tr1,1,40,16]", "[tr7,9,0,0]", "[sc1]", "[/sc]",
    "[hc41]", "[hc263a]", "[flt5o5]", "[/fl]", "[mvcl10,1,1,HI]", "[f1]", "[xyz]", "[nl9]", "[cr1,1,5,5,1]", "[",
    "]", "[[", "]]", "[ ]", "[nl", "\x00", "\t",
])
MULTI = st.lists(st.one_of(st.text(alphabet="AZaz09 éÉ€œ☃-", max_size=12), PIECES), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(MULTI)
def test_fuzz_normalisation_is_stable_and_leaves_no_syntax_error(multi: str) -> None:
    once = normalize(multi)
    assert normalize(once) == once
    assert [e for e in tokenize(once)[1] if e.kind is ErrorKind.OTHER] == []


@settings(max_examples=300, deadline=None)
@given(MULTI, st.sampled_from(LED_PROFILES))
def test_fuzz_validation_never_crashes_and_reports_positions_inside_the_string(multi: str, profile: object) -> None:
    result = render_multi(multi, profile)  # type: ignore[arg-type]
    assert all(0 <= e.position <= len(multi) for e in result.errors)
    assert all(page.raster.width == profile.width_px for page in result.pages)  # type: ignore[attr-defined]
    assert result.valid == (result.errors == ())
    assert len(result.pages) >= 1
