"""The filters staff can use in templates: numbers, plurals, abbreviations, times, translations."""

from __future__ import annotations

from signage.templates import TemplateLibrary, TemplateSpec


def render(line: str, **params: object) -> str:
    library = TemplateLibrary({"t": TemplateSpec("t", {"fr": {"title": "", "lines": [line]}})})
    return library.render("t", params, "fr").lines[0]


def test_plural_forms_follow_french_rules_and_group_thousands() -> None:
    assert render("{{ n | plural('place') }}", n=0) == "0 place"
    assert render("{{ n | plural('place') }}", n=1) == "1 place"
    assert render("{{ n | plural('place') }}", n=12) == "12 places"
    assert render("{{ n | plural('cheval', 'chevaux') }}", n=1500) == "1\u202f500 chevaux"


def test_abbreviation_uses_the_sign_table_and_keeps_case() -> None:
    assert render("{{ text | abbr }}", text="PARKING Boulevard de Sévigné") == "PKG Bd de Sévigné"


def test_times_show_in_the_citys_clock() -> None:
    assert render("{{ at | local_time }}", at="2026-11-26T05:00:00Z") == "06:00"
