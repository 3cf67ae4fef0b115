"""What a real sign says it can show (its NTCIP 1203 capability objects), checked against the profile the engine
renders for it, and every MULTI checked against it before it is sent.

A profile that does not match the sign would put a garbled message on the street: it is a device error the
control room sees, and nothing is sent until the profile or the sign is put right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from renderers.crc import MULTI_ENCODING
from renderers.fonts import load_font
from renderers.multi_syntax import Tag, tokenize
from renderers.ntcip_mib import ColorScheme, SignType, standard_name
from renderers.raster import scheme_of
from signage.model import Profile, ProfileKind

__all__ = ["SignCapabilities", "multi_problems", "profile_mismatches"]

_KIND_OF_TYPE = {SignType.VMS_CHAR: ProfileKind.CHARACTER, SignType.VMS_LINE: ProfileKind.LINE,
                 SignType.VMS_FULL: ProfileKind.FULL}


@dataclass(frozen=True, slots=True)
class SignCapabilities:
    sign_type: int  # ``dmsSignType`` without the portable bit
    width_px: int
    height_px: int
    char_width_px: int  # 0 on line- and full-matrix signs
    char_height_px: int  # 0 on full-matrix signs
    color_scheme: int
    fonts: tuple[int, ...]  # font numbers the sign holds, ready for use
    default_font: int
    supported_tags: frozenset[str]
    max_pages: int
    max_multi_length: int
    max_changeable: int
    graphics: tuple[int, ...] = ()  # graphic numbers the sign holds, ready for use (``[g n]``)

    @property
    def kind(self) -> ProfileKind | None:
        try:
            return _KIND_OF_TYPE.get(SignType(self.sign_type))
        except ValueError:
            return None

    @property
    def lines(self) -> int:
        return self.height_px // self.char_height_px if self.char_height_px else 0

    @property
    def chars_per_line(self) -> int:
        return self.width_px // self.char_width_px if self.char_width_px else 0

    def to_json(self) -> dict[str, Any]:
        try:
            scheme = standard_name(ColorScheme(self.color_scheme))
        except ValueError:
            scheme = f"unknown ({self.color_scheme})"
        kind = self.kind
        return {"kind": kind.value if kind else f"dmsSignType {self.sign_type}",
                "pixels": [self.width_px, self.height_px], "characters": [self.chars_per_line, self.lines],
                "color_scheme": scheme, "fonts": list(self.fonts), "default_font": self.default_font,
                "tags": sorted(t for t in self.supported_tags if not t.startswith("/") and t not in ("flt", "flo")),
                "max_pages": self.max_pages, "max_multi_length": self.max_multi_length,
                "changeable_messages": self.max_changeable, "graphics": list(self.graphics)}


def profile_mismatches(caps: SignCapabilities, profile: Profile) -> list[str]:
    """What the profile assumes that the sign denies, in words; empty when the engine can drive the sign."""
    problems = []
    if caps.kind is not profile.kind:
        said = caps.kind.value if caps.kind else f"dmsSignType {caps.sign_type}"
        problems.append(f"the sign is {said}-matrix, the profile {profile.name!r} is {profile.kind.value}")
    if (caps.width_px, caps.height_px) != (profile.width_px, profile.height_px):
        problems.append(f"the sign is {caps.width_px}×{caps.height_px} pixels, the profile {profile.name!r} "
                        f"{profile.width_px}×{profile.height_px}")
    if profile.kind is ProfileKind.CHARACTER and caps.kind is ProfileKind.CHARACTER and \
            (caps.chars_per_line, caps.lines) != (profile.chars_per_line, profile.lines):
        problems.append(f"the sign holds {caps.lines} lines of {caps.chars_per_line} characters, the profile "
                        f"{profile.lines} of {profile.chars_per_line}")
    if scheme_of(profile.colour) == "color24bit" and caps.color_scheme != ColorScheme.COLOR_24BIT:
        problems.append(f"the profile {profile.name!r} is in colour; the sign is not a 24-bit colour sign")
    missing = [name for name in profile.font_table if load_font(name).number not in caps.fonts]
    if missing:
        problems.append(f"the sign has no font {', '.join(f'{load_font(n).number} ({n})' for n in missing)}"
                        f" (it has {', '.join(map(str, caps.fonts)) or 'none'})")
    if profile.max_pages > caps.max_pages:
        problems.append(f"the profile allows {profile.max_pages} pages, the sign {caps.max_pages}")
    return problems


def multi_problems(multi: str, caps: SignCapabilities) -> list[str]:
    """Why the sign would refuse ``multi``: its length, pages, tags and fonts against what it reported."""
    problems = []
    try:
        size = len(multi.encode(MULTI_ENCODING))
    except UnicodeEncodeError as exc:
        return [f"character {exc.object[exc.start]!r} at {exc.start} is not in the sign's character set"]
    if size > caps.max_multi_length:
        problems.append(f"the message is {size} bytes; the sign takes at most {caps.max_multi_length}")
    tokens, _ = tokenize(multi)
    tags = [t for t in tokens if isinstance(t, Tag)]
    pages = 1 + sum(t.name == "np" for t in tags)
    if pages > caps.max_pages:
        problems.append(f"the message has {pages} pages; the sign shows at most {caps.max_pages}")
    unsupported = sorted({t.name for t in tags if t.name not in caps.supported_tags})
    if unsupported:
        problems.append("the sign does not support " + ", ".join(f"[{name}]" for name in unsupported))
    fonts = sorted({int(t.args[0]) for t in tags if t.name == "fo" and t.args and t.args[0]} - set(caps.fonts))
    if fonts:
        problems.append("the sign has no font " + ", ".join(map(str, fonts)))
    graphics = sorted({int(t.args[0]) for t in tags if t.name == "g" and t.args} - set(caps.graphics))
    if graphics:
        problems.append("the sign has no graphic " + ", ".join(map(str, graphics)))
    return problems
