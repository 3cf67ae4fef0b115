from __future__ import annotations

from pathlib import Path

import pytest

from signage.config import Config, ConfigInvalid, load_config

MINIMAL = """\
city: Testville
zones:
  - {id: centre, name: Centre, codes: ["INSEE:99999"]}
panels:
  - {id: p1, name: One, lat: 47.0, lon: 5.0, zone: centre, profile: char-3x20}
feeds:
  - {id: ngsi, format: ngsi-v2, max_age: 5m}
rules: []
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_configuration_declares_every_feed_format_and_profile_kind(demo_config: Config) -> None:
    assert {"ngsi", "ngsi-ld", "gtfs-rt", "siri", "cap", "datex2", "mqtt", "webhook"} <= set(demo_config.feeds)
    kinds = {demo_config.profiles[p.profile].kind.value for p in demo_config.panels.values()}
    assert {"character", "full", "kiosk"} <= kinds
    assert len(demo_config.panels) >= 6
    assert demo_config.zones_for_code("NUTS3:FR261") == ["cote-d-or"]
    assert demo_config.zones_for_code("NUTS3:FRC11") == ["cote-d-or"]
    assert demo_config.zones_for_code("INSEE:21231") == ["dijon"]


def test_built_in_profiles_are_usable_by_name(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert {"char-3x20", "full-96x32-amber", "full-192x64-rgb", "kiosk-1080p"} <= set(config.profiles)
    assert config.profiles["char-3x20"].lines == 3 and config.profiles["char-3x20"].chars_per_line == 20


def test_every_error_names_file_line_and_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("profile: char-3x20", "profile: char-9x99").replace(
        "rules: []",
        "rules:\n"
        "  - id: broken\n"
        "    when: 'state[\"parking/a\"].free <'\n"
        "    then:\n"
        "      template: nowhere\n"
        "      targets: {zones: [atlantis]}\n",
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigInvalid) as caught:
        load_config(path)
    found = {(e.line, e.field) for e in caught.value.errors}
    assert (5, "panels[0].profile") in found
    assert (10, "rules[0].when") in found
    assert (12, "rules[0].then.template") in found
    assert (13, "rules[0].then.targets.zones") in found
    assert all(e.file == str(path) for e in caught.value.errors)
    assert "char-9x99" in str(caught.value)


def test_duplicate_ids_and_unknown_fields_are_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "feeds:\n", "feeds:\n  - {id: ngsi, format: ngsi-v2}\n  - {id: other, format: telepathy, colour: red}\n"
    )
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, text))
    messages = [str(e) for e in caught.value.errors]
    assert any("feeds[2].id" in m and "already defined on line 7" in m for m in messages)
    assert any("feeds[1].format" in m for m in messages)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, "city: x\npanels: [\n  - id: a\n"))
    assert caught.value.errors[0].field == "yaml"
    assert caught.value.errors[0].line >= 2


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, "city: &c x\nzones: *c\n"))
    assert "aliases" in str(caught.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(tmp_path / "absent.yaml")
    assert "cannot read" in str(caught.value)
