"""The filters staff can use in templates: numbers, plurals, abbreviations, times, translations."""

from __future__ import annotations

from signage.template_filters import TextSettings
from signage.templates import TemplateLibrary, TemplateSpec


def render(line: str, **params: object) -> str:
    """In a French city on Paris's clocks."""
    library = TemplateLibrary({"t": TemplateSpec("t", {"fr": {"title": "", "lines": [line]}})},
                              TextSettings("Europe/Paris", ("fr", "en")))
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


def test_each_language_counts_and_groups_as_its_own_rules_say() -> None:
    """English is not French: "0 places", "1,500 horses"; German groups with a dot (CLDR, through Babel)."""
    settings = TextSettings("Europe/Berlin", ("de", "en", "fr"))
    library = TemplateLibrary({"t": TemplateSpec("t", {
        lang: {"title": "", "lines": ["{{ n | plural(one, many) }}", "{{ n | number }}", "{{ at | local_time }}",
                                      "{{ names | tr }}"]} for lang in ("de", "en", "fr")})}, settings)
    params = {"at": "2026-07-01T05:00:00Z", "names": {"fr": "Gare", "de": "Bahnhof"}}
    english = library.render("t", {"n": 0, "one": "place", "many": "places", **params}, "en").lines
    assert english == ("0 places", "0", "07:00", "Bahnhof")  # the city's first language stands in for English
    assert library.render("t", {"n": 1500, "one": "horse", "many": "horses", **params}, "en").lines[:2] == (
        "1,500 horses", "1,500")
    assert library.render("t", {"n": 1, "one": "Platz", "many": "Plätze", **params}, "de").lines[:2] == (
        "1 Platz", "1")
    assert library.render("t", {"n": 1500, "one": "Platz", "many": "Plätze", **params}, "de").lines[1] == "1.500"
    assert library.render("t", {"n": 0, "one": "place", "many": "places", **params}, "fr").lines[:1] == (
        "0 place",)


def test_each_language_is_loaded_when_the_library_is_built_not_in_a_render() -> None:
    """Loading a language's CLDR data takes longer than a render's time budget on a busy machine: a fresh process
    that builds the city's library has every language ready before its first render."""
    import subprocess
    import sys

    script = ("from signage.template_filters import TextSettings, _locale\n"
              "from signage.templates import TemplateLibrary\n"
              "TemplateLibrary({}, TextSettings('Europe/Berlin', ('de', 'fr')))\n"
              "print(_locale.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split()[-1] == "3"  # de, fr and English, the last fallback
