"""A template says something per channel: shorter lines on text signs, a hand-written MULTI pattern, pixel lines,
a longer kiosk text, its own push title and body, and a CAP headline, description and instruction. Each channel
falls back to the language's title and lines, and what live data inserts into a MULTI pattern stays text."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET

from signage.cli import main
from signage.config import Config, load_config
from signage.model import Lane, Message, Targets
from signage.pipeline import Pipeline
from signage.protocol import PUSH_TOPIC
from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec

DEMO = Path(__file__).resolve().parents[2] / "signage" / "demo" / "dijon.yaml"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)

CLOSURE: dict[str, Any] = {
    "fr": {
        "title": "Fermeture {{ street }}",
        "lines": ["Rue {{ street }} fermée", "jusqu'à {{ until | local_time }}", "Déviation par {{ detour }}"],
        "led": {"lines": ["{{ street | upper }} FERME", "DEVIATION {{ detour | upper }}"]},
        "multi": "[jp3][jl3]{{ street | upper }}[nl]FERMÉE",
        "pixel": {"lines": ["{{ street }} fermée"]},
        "kiosk": {"title": "Travaux : {{ street }}", "lines": ["Fermée jusqu'à {{ until | local_time }}",
                                                           "Prenez {{ detour }}", "Bus : arrêts déplacés"]},
        "push": {"title": "{{ street }} fermée", "body": "Déviation par {{ detour }} jusqu'à {{ until | local_time }}"},
        "cap": {"headline": "Fermeture de la rue {{ street }}", "instruction": "Suivez la déviation par {{ detour }}"},
    },
    "en": {"title": "{{ street }} closed", "lines": ["{{ street }} closed", "Detour via {{ detour }}"]},
}
PARAMS: dict[str, Any] = {"street": "Liberté", "until": "2026-11-26T17:00:00Z", "detour": "Bd Carnot"}


def closure_config(variants: dict[str, Any] = CLOSURE) -> Config:
    config = load_config(DEMO)
    spec = TemplateSpec("closure", variants, "", "warning")
    return dataclasses.replace(config, templates=config.templates.with_overrides({"closure": spec}))


def shown(params: dict[str, Any], variants: dict[str, Any] = CLOSURE) -> Pipeline:
    pipeline = Pipeline(closure_config(variants))
    pipeline.start(NOW)
    message = Message("works:1", Lane.OPERATOR, 60, "closure", params,
                      Targets(panels=("darcy", "republique", "gare", "toison-dor")), ("panels", "kiosks"), NOW,
                      NOW + timedelta(hours=2), "test")
    pipeline.put_message(message, NOW)
    return pipeline


def test_each_kind_of_panel_shows_its_own_variant() -> None:
    contents = shown(PARAMS).contents
    # The text sign takes the MULTI pattern as written, with the value inserted.
    assert contents["darcy"]["multi"] == "[jp3][jl3]LIBERTÉ[nl]FERMÉE"
    # Pixel panels show their pixel lines beside the pictogram; the kiosk its longer text.
    assert contents["republique"]["pages"][0]["lines"] == ["Liberté fermée"]
    assert "Liberté fermée" in contents["toison-dor"]["multi"] and "[g" in contents["toison-dor"]["multi"]
    kiosk = contents["gare"]["pages"][0]
    assert kiosk["title"] == "Travaux : Liberté"
    assert kiosk["lines"] == ["Fermée jusqu'à 18:00", "Prenez Bd Carnot", "Bus : arrêts déplacés"]
    assert "multi" not in contents["gare"]


def test_values_inserted_in_a_multi_pattern_cannot_add_tags() -> None:
    contents = shown({**PARAMS, "street": "[fo9][pt1o0]X"}).contents
    assert contents["darcy"]["multi"] == "[jp3][jl3][[FO9]][[PT1O0]]X[nl]FERMÉE"
    assert "problems" not in contents["darcy"]


def test_a_pattern_the_sign_refuses_gives_way_to_the_led_lines_and_says_why() -> None:
    colour = {"fr": {**CLOSURE["fr"], "multi": "[cf255,0,0]{{ street }} FERMÉE"}}
    content = shown(PARAMS, colour).contents["darcy"]
    assert content["multi"] == "[jl3]LIBERTÉ FERME[nl]DEVIATION BD CARNOT"
    assert content["problems"] == ["works:1: its MULTI pattern is refused by char-3x20 (unsupportedTagValue: "
                                   "[cf255,0,0]: a monochrome sign takes colour 0 (off) or 1 (on)); shown from its "
                                   "lines"]


def test_a_channel_without_a_variant_shows_the_languages_text() -> None:
    english = shown(PARAMS).contents  # panels are French here; the English variant has no channels
    library = closure_config().templates
    text = library.render("closure", PARAMS, "en")
    assert text.on("kiosk").title == "Liberté closed" and text.multi == ""
    assert text.push_text() == ("Liberté closed", "Liberté closed Detour via Bd Carnot")
    assert text.cap_text() == ("Liberté closed", "Liberté closed\nDetour via Bd Carnot", "")
    # A channel variant that gives only some fields takes the rest from the language.
    french = library.render("closure", PARAMS, "fr")
    assert french.cap_text() == ("Fermeture de la rue Liberté",
                                 "Rue Liberté fermée\njusqu'à 18:00\nDéviation par Bd Carnot",
                                 "Suivez la déviation par Bd Carnot")
    assert english["darcy"]["language"] == "fr"


def test_a_push_carries_the_push_variant_in_each_language() -> None:
    config = closure_config()
    pipeline = Pipeline(config)
    pipeline.start(NOW)
    message = Message("works:2", Lane.OPERATOR, 60, "closure", PARAMS, Targets(topics=("transit/liberte",)),
                      ("push",), NOW, NOW + timedelta(hours=2), "test", "moderate")
    outcome = pipeline.put_message(message, NOW)
    pushes = [p.data for p in outcome.publications if p.topic == PUSH_TOPIC]
    assert len(pushes) == 1, pipeline.push_gate.log
    assert (pushes[0]["title"], pushes[0]["body"]) == ("Liberté fermée", "Déviation par Bd Carnot jusqu'à 18:00")
    assert pushes[0]["texts"]["en"] == {"title": "Liberté closed", "body": "Liberté closed Detour via Bd Carnot"}


def test_the_cap_variant_makes_the_cap_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "closure.yaml").write_text(json.dumps({"id": "closure", **CLOSURE}), encoding="utf-8")
    config = tmp_path / "city.yaml"
    config.write_text(DEMO.read_text(encoding="utf-8") + f"\ntemplates_dir: {templates}\n", encoding="utf-8")
    message = tmp_path / "m.json"
    message.write_text(json.dumps({"template": "closure", "params": PARAMS, "zones": ["dijon-centre"]}))
    out = tmp_path / "out.xml"
    assert main(["render", "--config", str(config), "--profile", "kiosk-1080p", "--format", "cap",
                 "--message", str(message), "-o", str(out)]) == 0, capsys.readouterr().err
    info = SafeET.fromstring(out.read_bytes()).find(f"{CAP}info")
    assert info is not None
    assert info.findtext(f"{CAP}headline") == "Fermeture de la rue Liberté"
    assert info.findtext(f"{CAP}instruction") == "Suivez la déviation par Bd Carnot"


@pytest.mark.parametrize(("variant", "complaint"), [
    ({"title": "x", "lines": [], "tweet": {"title": "x"}}, "unknown tweet"),
    ({"title": "x", "lines": [], "push": {"subject": "x"}}, "push: {title, body}"),
    ({"title": "x", "lines": [], "kiosk": {"lines": "one line"}}, "kiosk lines: a list"),
    ({"title": "x", "lines": [], "multi": "{{ street "}, "multi"),
])
def test_a_malformed_channel_variant_is_refused_with_where(variant: dict[str, Any], complaint: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        TemplateLibrary({"t": TemplateSpec("t", {"fr": variant})})
    assert complaint in str(caught.value)


@pytest.mark.parametrize("template_id", sorted(load_config(DEMO).templates.ids()))
def test_every_shipped_template_renders_its_example_everywhere(template_id: str) -> None:
    """What staff see first in the editor: each template's example, in each language, on every channel and
    every sign of the demo, with nothing left out."""
    from signage.web.template_preview import PreviewSetting, render_preview

    config = load_config(DEMO)
    setting = PreviewSetting.of(config)
    spec = config.templates.spec(template_id)
    assert spec is not None and spec.example, f"{template_id} has no example for the console's preview"
    for language in spec.variants:
        preview = render_preview(setting, {"template": {**spec.variants, "pictogram": spec.pictogram},
                                          "params": dict(spec.example), "language": language})
        assert preview["language"] == language
        assert preview["title"] and preview["phone"]["body"] and preview["kiosk"]["lines"]
        for sign, shown in preview["signs"].items():
            assert shown["fits"] and "warning" not in shown, (template_id, language, sign, shown)
        assert "<headline>" in preview["cap"]


def test_an_approver_reads_what_a_version_changes_field_by_field() -> None:
    from signage.template_versions import spec_changes

    published = {"variants": {"fr": {"title": "P", "lines": ["{{ a }}", "{{ b }}"]}}, "pictogram": "parking"}
    proposed = {"variants": {"fr": {"title": "P", "lines": ["{{ a }}", "{{ b }} pl"],
                                    "push": {"title": "Parkings"}, "multi": "[jl3]{{ a }}"},
                             "en": {"title": "Car parks", "lines": []}}, "pictogram": "parking"}
    assert spec_changes(published, proposed) == [
        ("en title", "", "Car parks"), ("fr lines 2", "{{ b }}", "{{ b }} pl"), ("fr multi", "", "[jl3]{{ a }}"),
        ("fr push title", "", "Parkings")]
    assert spec_changes(proposed, proposed) == []
    assert spec_changes(proposed, published)[1] == ("fr lines 2", "{{ b }} pl", "{{ b }}")


@pytest.mark.parametrize("profile", ["char-3x20", "full-96x32-amber", "full-192x64-rgb"])
def test_the_readmes_message_keeps_its_title_on_every_led_sign(tmp_path: Path, profile: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """``signage render`` with the README's own example: a text message is shown as a broadcast is, its title
    leading the lines on signs that have no title of their own."""
    message = tmp_path / "m.json"
    message.write_text(json.dumps({"title": "Marché de Noël", "lines": ["Place François Rude"],
                                   "pictogram": "warning", "severity": "minor"}), encoding="utf-8")
    out = tmp_path / "out.multi"
    code = main(["render", "--profile", profile, "--format", "multi", "--message", str(message), "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    multi = out.read_text(encoding="utf-8")
    assert "Marché de Noël" in multi and "Place François" in multi
