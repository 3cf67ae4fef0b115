"""Validation against a sign, the way NTCIP 1203 reports it: one test per error kind, with its position."""

from __future__ import annotations

import json

import pytest

from renderers.crc import crc16_x25, message_crc
from renderers.multi_render import render_multi
from signage.cli import main
from signage.model import Profile, ProfileKind
from signage.profiles import BUILT_IN_PROFILES

CHAR = BUILT_IN_PROFILES["char-3x20"]
AMBER = BUILT_IN_PROFILES["full-96x32-amber"]
RGB = BUILT_IN_PROFILES["full-192x64-rgb"]
LINE = Profile("line-2x20", ProfileKind.LINE, 120, 16, 2, 20, "amber", "5x7", 2, 3.0, ("5x7", "6x10"))


def kinds(multi: str, profile: object = AMBER) -> list[tuple[str, int]]:
    return [(e.kind.standard_name, e.position) for e in render_multi(multi, profile).errors]  # type: ignore[arg-type]


@pytest.mark.parametrize(("multi", "profile", "expected"), [
    ("[jl3]GARE[nl]DIJON", AMBER, []),
    ("A[flt5o5]B[/fl]", AMBER, [("unsupportedTag", 1), ("unsupportedTag", 10)]),
    ("A[mvcl10,1,1,HI]", AMBER, [("unsupportedTag", 1)]),
    ("A[zz]", AMBER, [("unsupportedTag", 1)]),
    ("[jl5]A", AMBER, [("unsupportedTagValue", 0)]),
    ("A[nl3]B", CHAR, [("unsupportedTagValue", 1)]),
    ("[sc2]A", CHAR, [("unsupportedTagValue", 0)]),
    ("[tr2,1,10,8]A", CHAR, [("unsupportedTagValue", 0)]),
    ("[cf255,0,0]A", AMBER, [("unsupportedTagValue", 0)]),
    ("[cf255,0,0]A", RGB, []),
    ("A[nl]B[nl]C[nl]D", CHAR, [("textTooBig", 15)]),
    ("ABCDEFGHIJKLMNOPQRSTU", CHAR, [("textTooBig", 0)]),
    ("[fo9]A", AMBER, [("fontNotDefined", 0)]),
    ("[fo3]A", CHAR, [("fontNotDefined", 0)]),
    ("GARE ☃", AMBER, [("characterNotDefined", 5)]),
    ("[jl4]A[jl2]B", AMBER, [("tagConflict", 6)]),
    ("A[np]B[np]C[np]D[np]E", AMBER, [("tooManyPages", 16)]),
    ("[g99]A", AMBER, [("graphicNotDefined", 0)]),
    ("[fo2]A", LINE, [("textTooBig", 5)]),
    ("[jl2]A[nl]B", LINE, []),
    ("[g1,90,1]A", AMBER, [("unsupportedTagValue", 0)]),
    ("GARE [nl", AMBER, [("other", 5)]),
])
def test_each_error_kind_is_reported_where_it_starts(multi: str, profile: object, expected: list[object]) -> None:
    assert kinds(multi, profile) == expected


def test_the_json_report_names_the_standard_error_kind() -> None:
    report = render_multi("[fo9]GARE", AMBER).to_json()
    assert report["valid"] is False
    assert report["errors"] == [{"kind": "fontNotDefined", "code": 6, "position": 0,
                                 "message": "the sign has no font 9 (it has 1 (5x7), 2 (6x10), 3 (7x13B))"}]


def test_pages_carry_their_lines_and_times() -> None:
    report = render_multi("[pt25o5][jl3]P DARCY[nl]120 PL[np]P TIVOLI", CHAR).to_json()
    assert report["valid"] is True
    assert report["pages"] == [{"lines": ["P DARCY", "120 PL"], "page_time_s": 2.5, "off_time_s": 0.5},
                               {"lines": ["P TIVOLI"], "page_time_s": 2.5, "off_time_s": 0.5}]


def test_message_crc_is_crc16_x25_over_the_multi_beacon_and_pixel_service_byte_swapped() -> None:
    assert crc16_x25(b"123456789") == 0x906E  # the standard check value
    raw = crc16_x25("[jl3]GARE".encode("iso8859-15") + b"\x00\x00")
    assert message_crc("[jl3]GARE") == ((raw & 0xFF) << 8 | raw >> 8)
    assert message_crc("[jl3]GARE", beacon=True) != message_crc("[jl3]GARE")
    assert message_crc("Marché") == message_crc("Marché")  # Latin-9: é is one byte on the wire
    with pytest.raises(UnicodeEncodeError):
        message_crc("☃")


def test_signage_multi_prints_the_report_and_exits_1_when_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["multi", "--profile", "char-3x20", "[JL3]GARE[ NL ]DIJON"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["normalized"] == "[jl3]GARE[nl]DIJON"
    assert report["pages"][0]["lines"] == ["GARE", "DIJON"]
    assert main(["multi", "--profile", "char-3x20", "[fo2]GARE"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["kind"] == "fontNotDefined"
    assert main(["multi", "--profile", "no-such-sign", "GARE"]) == 2
    assert "unknown profile 'no-such-sign'" in capsys.readouterr().err
