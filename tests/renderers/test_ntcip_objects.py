"""The NTCIP 1203 values the engine writes and reads, and a sign's capabilities against the profile."""

from __future__ import annotations

from renderers.ntcip_fit import SignCapabilities, multi_problems, profile_mismatches
from renderers.ntcip_mib import (
    MemoryType,
    MessageActivation,
    MessageId,
    object_name,
    scalar,
    short_error_words,
    supported_tag_names,
    tag_bits,
)
from signage.profiles import BUILT_IN_PROFILES


def test_a_message_activation_code_is_the_twelve_bytes_of_the_standard() -> None:
    code = MessageActivation(10, 255, MemoryType.CHANGEABLE, 2, 0x906E, "192.0.2.7")
    assert code.encode() == bytes([0, 10, 255, 3, 0, 2, 0x90, 0x6E, 192, 0, 2, 7])
    assert MessageActivation.decode(code.encode()) == code
    assert MessageId.decode(bytes([3, 0, 2, 0x90, 0x6E])) == MessageId(3, 2, 0x906E)


def test_supported_tags_and_faults_read_as_words() -> None:
    bits = tag_bits({"jl", "nl", "np", "pt", "tr"})
    assert int.from_bytes(bits, "little") == 1 << 6 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 27
    assert supported_tag_names(bits) == {"jl", "nl", "np", "pt", "tr"}
    assert short_error_words(1 << 2 | 1 << 13 | 1 << 20) == ("power", "door open", "fault bit 20")
    assert object_name((*scalar("dmsControlMode"),)) == "dmsControlMode.0"
    assert object_name((1, 3, 6, 1, 4, 1, 1206, 4, 2, 3, 5, 8, 1, 9, 3, 1)) == "dmsMessageStatus.3.1"


def _caps(**changes: object) -> SignCapabilities:
    values: dict[str, object] = dict(
        sign_type=4, width_px=120, height_px=24, char_width_px=6, char_height_px=8, color_scheme=1, fonts=(1,),
        default_font=1, supported_tags=frozenset({"jl", "nl", "np", "fo"}), max_pages=4, max_multi_length=64,
        max_changeable=10)
    values.update(changes)
    return SignCapabilities(**values)  # type: ignore[arg-type]


def test_a_sign_that_matches_its_profile_is_driven_and_one_that_does_not_is_named() -> None:
    profile = BUILT_IN_PROFILES["char-3x20"]
    assert profile_mismatches(_caps(), profile) == []
    assert profile_mismatches(_caps(char_width_px=8, width_px=128, fonts=(2,)), profile) == [
        "the sign is 128×24 pixels, the profile 'char-3x20' 120×24",
        "the sign holds 3 lines of 16 characters, the profile 3 of 20",
        "the sign has no font 1 (5x7) (it has 2)"]


def test_a_multi_the_sign_cannot_take_is_refused_before_it_is_sent() -> None:
    caps = _caps(max_pages=2, max_multi_length=30)
    assert multi_problems("[jl3]PARKING[nl]COMPLET", caps) == []
    assert multi_problems("[pt30o0]A[np]B[np]C[fo2]", caps) == [
        "the message has 3 pages; the sign shows at most 2", "the sign does not support [pt]",
        "the sign has no font 2"]
    assert multi_problems("x" * 31, caps) == ["the message is 31 bytes; the sign takes at most 30"]
    assert multi_problems("Ω", caps) == ["character 'Ω' at 0 is not in the sign's character set"]
    assert multi_problems("[g3,1,1]PARKING", _caps(supported_tags=frozenset({"g"}), graphics=(1, 2))) == [
        "the sign has no graphic 3"]
