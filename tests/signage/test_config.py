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
  - {id: ngsi, format: ngsi-v2, max_age: 5m, auth: token}
rules: []
timezone: Europe/Paris
languages: [fr, en]
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


def test_a_yaml_syntax_error_shows_the_line_and_where_in_it(tmp_path: Path) -> None:
    """What a comms officer sees after a stray bracket: the problem in words, then the line and a caret."""
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL.replace("panels:\n", "panels:\n  - id: [p0\n", 1)))
    (error,) = caught.value.errors
    problem, line, caret = error.message.split("\n")
    assert problem.startswith("expected ',' or ']'") and "<unicode string>" not in problem
    assert line.strip() == "- {id: p1, name: One, lat: 47.0, lon: 5.0, zone: centre, profile: char-3x20}"
    assert caret.strip().startswith("^ column")


def test_an_unknown_zone_suggests_the_closest_and_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL.replace("zone: centre", "zone: centr")))
    (error,) = caught.value.errors
    assert error.message == "unknown zone 'centr'; did you mean 'centre'? (known: centre)"


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, "city: &c x\nzones: *c\n"))
    assert "aliases" in str(caught.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(tmp_path / "absent.yaml")
    assert "cannot read" in str(caught.value)


def test_sign_fonts_streams_and_cap_sender_are_checked(tmp_path: Path) -> None:
    text = MINIMAL.replace("rules: []", """\
profiles:
  big-sign: {kind: full, width_px: 144, height_px: 48, lines: 3, chars_per_line: 20, colour: rgb,
             font: 9x15, fonts: [5x7, 9x15]}
  line-sign: {kind: line, width_px: 120, height_px: 16, lines: 2, chars_per_line: 24, font: 6x10}
rules: []
cap_sender: "alertes dijon"
""").replace(
        "profile: char-3x20}",
        "profile: char-3x20, stream: 'ddp://10.0.0.9'}\n"
        "  - {id: p2, name: Two, lat: 47.0, lon: 5.0, zone: centre, profile: line-sign, stream: 'udp://x'}")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, text))
    messages = [f"{e.field}: {e.message}" for e in caught.value.errors]
    assert "profiles.big-sign.font: unknown font '9x15' (shipped: 5x7, 6x10, 7x13B)" in messages
    assert "panels[0].stream: only full-matrix panels take streamed frames" in messages
    assert "panels[1].stream: must be ddp://host[:port] or e131://host[:port][/universe]" in messages
    assert "cap_sender: must have no spaces, commas, '<' or '&' (CAP 1.2 sender)" in messages


def test_a_line_matrix_profile_and_a_stream_are_read(tmp_path: Path) -> None:
    text = MINIMAL.replace("rules: []", """\
profiles:
  line-sign: {kind: line, width_px: 120, height_px: 16, lines: 2, chars_per_line: 24, font: 6x10}
rules: []
""").replace("profile: char-3x20}", "profile: full-96x32-amber, stream: 'e131://10.0.0.9/12'}")
    config = load_config(write(tmp_path, text))
    stream = config.panels["p1"].stream
    assert stream is not None and (stream.protocol, stream.host, stream.port, stream.universe) == (
        "e131", "10.0.0.9", 5568, 12)
    assert config.profiles["line-sign"].font_table == ("6x10",)


def test_a_template_file_with_a_wrong_channel_variant_is_named(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "works.yaml").write_text(
        "id: works\nexample: {street: Liberté}\nfr:\n  title: Travaux\n  lines: ['{{ street }}']\n"
        "  sms: {body: x}\n", encoding="utf-8")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL + f"templates_dir: {templates}\n"))
    [error] = [e for e in caught.value.errors if e.field == "template"]
    assert error.file == str(templates / "works.yaml") and error.line == 1
    assert "unknown sms" in error.message


def test_the_schema_is_published_and_an_independent_validator_agrees(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """``signage schema`` prints JSON Schema that an editor (here the ``jsonschema`` package, not ours) uses to
    check the city's YAML as it is typed: the demo passes, a mistake is caught."""
    import json

    import jsonschema
    import yaml

    from signage.cli import main
    from signage.config import demo_config_path

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    demo = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    jsonschema.validate(demo, schema)
    wrong = {**demo, "panels": [{**demo["panels"][0], "lat": "north"}]}
    with pytest.raises(jsonschema.ValidationError, match="'north' is not of type 'number'"):
        jsonschema.validate(wrong, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**demo, "colour": "red"}, schema)  # no unknown fields


def test_time_zone_and_languages_are_checked_against_what_exists(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL.replace("Europe/Paris", "Europe/Dijon").replace("[fr, en]",
                                                                                           "[fr, xx-nope]")))
    messages = {e.field: e.message for e in caught.value.errors}
    assert "unknown time zone 'Europe/Dijon'" in messages["timezone"]
    assert "unknown language 'xx-nope'" in messages["languages"]


def test_a_city_says_its_time_zone_and_languages(tmp_path: Path) -> None:
    """Nothing about a city's clocks or languages is guessed: a file without them is refused, naming both."""
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL.replace("timezone: Europe/Paris\n", "").replace("languages: [fr, en]\n",
                                                                                            "")))
    messages = {e.field: e.message for e in caught.value.errors}
    assert messages == {"timezone": "is required", "languages": "is required"}


@pytest.mark.parametrize(("expression", "message"), [
    ("truee", "unknown name 'truee'"),
    ('state["parking/p1"].free >= "30"', "types that do not go together"),
    ('state["parking/p1"].fre < 10', "parking/p1 has no field 'fre' (the parking family has: capacity, free"),
    ("now.hour >= 7 && nightly", "unknown name 'nightly'"),
])
def test_check_finds_what_a_rule_would_only_meet_at_run_time(tmp_path: Path, expression: str, message: str
                                                             ) -> None:
    rule = ("rules:\n  - id: r\n    when: '" + expression.replace("'", "''") + "'\n"
            "    then: {template: default, targets: {panels: [p1]}}\n")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL.replace("rules: []\n", rule)))
    (error,) = caught.value.errors
    assert error.field == "rules[0].when" and error.line == 10  # the line of when:
    assert error.message.startswith(message), error.message


def test_expressions_that_hold_together_pass(tmp_path: Path) -> None:
    rule = ("rules:\n  - id: r\n    when: 'state[\"parking/p1\"].free < 10 && now.hour >= 7"
            " && !state[\"parking/p1\"].stale"
            " && timestamp(state[\"waste/w\"].next_collection) - now.ts < duration(\"16h\")'\n"
            "    then: {template: default, targets: {panels: [p1]}}\n")
    load_config(write(tmp_path, MINIMAL.replace("rules: []\n", rule)))


def test_an_unknown_template_names_the_closest_and_the_known_ones(tmp_path: Path) -> None:
    rule = "rules:\n  - id: r\n    when: 'true'\n    then: {template: defualt, targets: {panels: [p1]}}\n"
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, MINIMAL.replace("rules: []\n", rule)))
    (error,) = caught.value.errors
    assert error.field == "rules[0].then.template"
    assert error.message.startswith("unknown template 'defualt'; did you mean 'default'? (known: air-quality, alert")


def test_an_ntcip_sign_is_read_and_its_secrets_stay_in_the_environment(tmp_path: Path) -> None:
    good = MINIMAL.replace("profile: char-3x20}", "profile: char-3x20, ntcip: {address: '10.1.2.3:1161', version: '3',"
                           " user: signage, auth_key_env: SIGN_AUTH, priv_key_env: SIGN_PRIV, slot: 5, duration: 2m}}")
    target = load_config(write(tmp_path, good)).panels["p1"].ntcip
    assert target is not None and (target.host, target.port, target.version, target.slot) == ("10.1.2.3", 1161, "3", 5)
    assert target.duration.total_seconds() == 120 and target.auth_key_env == "SIGN_AUTH"
    bad = MINIMAL.replace(
        "profile: char-3x20}",
        "profile: char-3x20, ntcip: {address: '10.1.2.3', community: s3cret}}\n"
        "  - {id: p2, name: Two, lat: 47.0, lon: 5.0, zone: centre, profile: char-3x20,"
        " ntcip: {address: 'x:99999'}}\n"
        "  - {id: p3, name: Three, lat: 47.0, lon: 5.0, zone: centre, profile: char-3x20,"
        " ntcip: {address: 'x:161', version: '3', user: signage}}")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, bad))
    messages = [f"{e.field}: {e.message}" for e in caught.value.errors]
    assert any("panels[0].ntcip.community" in m and "community_env" in m for m in messages), messages
    assert any(m.startswith("panels[1].ntcip.address: ") and "host:port" in m for m in messages), messages
    assert any("needs user, auth_key_env and priv_key_env" in m for m in messages), messages
    assert "s3cret" not in str(caught.value)
