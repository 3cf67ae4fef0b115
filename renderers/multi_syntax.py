"""NTCIP 1203 MULTI: the tokenizer, its errors, and normalisation of sloppy input.

A MULTI string is text with tags in brackets (``[nl]``, ``[jl3]``, ``[pt30o0]``…); ``[[`` and ``]]`` are literal
brackets. Tag names are case-insensitive. Errors carry the standard's ``dmsMultiSyntaxError`` kind and the
character offset (from 0) where they start, as ``dmsMultiSyntaxErrorPosition`` does.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from signage.sign_text import escape_multi

__all__ = ["KNOWN_TAGS", "ErrorKind", "MultiError", "Tag", "Text", "Token", "escape", "normalize", "spec_problem",
           "tokenize"]


class ErrorKind(enum.IntEnum):
    """``dmsMultiSyntaxError`` values (NTCIP 1203 v03); ``OTHER`` is how the standard reports malformed syntax."""

    OTHER = 1
    NONE = 2
    UNSUPPORTED_TAG = 3
    UNSUPPORTED_TAG_VALUE = 4
    TEXT_TOO_BIG = 5
    FONT_NOT_DEFINED = 6
    CHARACTER_NOT_DEFINED = 7
    FIELD_DEVICE_NOT_EXIST = 8
    FIELD_DEVICE_ERROR = 9
    FLASH_REGION_ERROR = 10
    TAG_CONFLICT = 11
    TOO_MANY_PAGES = 12
    FONT_VERSION_ID = 13
    GRAPHIC_ID = 14
    GRAPHIC_NOT_DEFINED = 15

    @property
    def standard_name(self) -> str:
        """The MIB's name: ``textTooBig``, ``fontNotDefined``…"""
        head, *rest = self.name.lower().split("_")
        return head + "".join(word.title() for word in rest)


@dataclass(frozen=True, slots=True)
class MultiError:
    kind: ErrorKind
    position: int
    message: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.standard_name, "code": int(self.kind), "position": self.position,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class Tag:
    """A well-formed tag: ``name`` lower-case (``nl``, ``/sc``, ``pt``…), ``args`` its values in order."""

    name: str
    args: tuple[str, ...]
    position: int

    def canonical(self) -> str:
        separator = {"pt": "o", "flt": "o", "flo": "t"}.get(self.name)
        if separator:
            first, second = ((*self.args, "", ""))[:2]
            return f"[{self.name}{first}{separator}{second}]"
        return f"[{self.name}{','.join(self.args)}]"


Token = Text | Tag

# Tag grammar: name, then what may follow it. Values are checked against the sign later; here only the shape.
_NUMBER = r"\d{1,3}"
_SHAPES: dict[str, re.Pattern[str]] = {
    "nl": re.compile(r"(\d?)"),
    "np": re.compile(r""),
    "jl": re.compile(r"(\d?)"),
    "jp": re.compile(r"(\d?)"),
    "fo": re.compile(rf"(?:({_NUMBER})(?:,([0-9a-f]{{4}}))?)?"),
    "pt": re.compile(rf"({_NUMBER})?o({_NUMBER})?"),
    "cf": re.compile(rf"(?:({_NUMBER})(?:,({_NUMBER}),({_NUMBER}))?)?"),
    "cb": re.compile(rf"(?:({_NUMBER})(?:,({_NUMBER}),({_NUMBER}))?)?"),
    "pb": re.compile(rf"(?:({_NUMBER})(?:,({_NUMBER}),({_NUMBER}))?)?"),
    "cr": re.compile(rf"({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})(?:,({_NUMBER}),({_NUMBER}))?"),
    "tr": re.compile(rf"({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})"),
    "g": re.compile(rf"({_NUMBER})(?:,({_NUMBER}),({_NUMBER})(?:,([0-9a-f]{{4}}))?)?"),
    "sc": re.compile(r"(\d{1,2})"),
    "/sc": re.compile(r""),
    "hc": re.compile(r"([0-9a-f]{1,4})"),
    # Well-formed but not supported by this engine's signs (reported as unsupportedTag by validation):
    "flt": re.compile(r"(\d{1,2})o(\d{1,2})"),
    "flo": re.compile(r"(\d{1,2})t(\d{1,2})"),
    "/fl": re.compile(r""),
    "f": re.compile(r"(\d{1,2})(?:,(\d))?"),
    "mv": re.compile(r"([cl]\d*[lr]\d+,\d+,\d+,.*)"),
    "ms": re.compile(r"(\d+,.*)"),
    "/ms": re.compile(r"(\d+)"),
}
# Longest names first, so that ``flt`` is not read as ``f`` followed by ``lt``.
_NAMES = sorted(_SHAPES, key=len, reverse=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


_HEX_GROUPS = {"fo": {1}, "g": {3}, "hc": {0}}  # 4-hex version ids and character codes keep their digits


def _parse_tag(body: str, position: int) -> Tag | MultiError:
    free_text = body.lstrip().lower().startswith(("mv", "ms"))
    compact = body.strip().lower() if free_text else re.sub(r"\s+", "", body).lower()
    for name in _NAMES:
        if compact.startswith(name):
            match = _SHAPES[name].fullmatch(compact[len(name):])
            if match is None:  # a tag the standard knows, with a value it does not: as IRIS and ntcip say it
                return MultiError(ErrorKind.UNSUPPORTED_TAG_VALUE, position, f"[{body}] is not a valid {name} tag")
            hex_groups = _HEX_GROUPS.get(name, set())
            args = tuple("" if a is None else a if i in hex_groups or not a.isdigit() else str(int(a))
                         for i, a in enumerate(match.groups()))
            while args and args[-1] == "" and name != "pt":
                args = args[:-1]
            return Tag(name, args, position)
    unknown = re.fullmatch(r"(/?[a-z]+)([a-z0-9,]*)", compact)
    if unknown:
        return Tag(unknown.group(1), (unknown.group(2),) if unknown.group(2) else (), position)
    return MultiError(ErrorKind.OTHER, position, f"syntax error: [{body}] is not a tag")


# What the standard allows each tag's values to be, whatever the sign (its own limits are checked later):
# (first, last) per argument, or None for any. ``[cb]`` takes only the legacy colour number; ``[pb]`` and ``[cf]``
# take it or three RGB values.
_BYTE = (0, 255)
_RANGES: dict[str, tuple[tuple[tuple[int, int] | None, ...], ...]] = {
    "jl": ((), ((1, 5),)),
    "jp": ((), ((1, 4),)),
    "fo": ((), ((1, 255),), ((1, 255), None)),
    "cb": ((), (_BYTE,)),
    "pb": ((), (_BYTE,), (_BYTE, _BYTE, _BYTE)),
    "cf": ((), (_BYTE,), (_BYTE, _BYTE, _BYTE)),
    "pt": ((_BYTE, _BYTE),),
    "sc": (((1, 99),),),
    "g": (((1, 255),), ((1, 255), (1, 255), (1, 255)), ((1, 255), (1, 255), (1, 255), None)),
}
KNOWN_TAGS = frozenset(_SHAPES)


def _within(arg: str, limits: tuple[int, int] | None) -> bool:
    return limits is None or arg == "" or (arg.isdigit() and limits[0] <= int(arg) <= limits[1])


def spec_problem(tag: Tag) -> str | None:
    """Why the standard itself refuses ``tag`` (an unknown name, a value out of its range), or None."""
    if tag.name not in KNOWN_TAGS:
        return f"[{tag.name}] is not an NTCIP 1203 tag"
    forms = _RANGES.get(tag.name)
    if forms is None:
        return None
    for form in forms:
        if len(form) == len(tag.args) and all(_within(arg, limits) for arg, limits in zip(tag.args, form, strict=True)):
            return None
    return f"{tag.canonical()} is out of the standard's range for [{tag.name}]"


def tokenize(multi: str, lenient: bool = False) -> tuple[list[Token], list[MultiError]]:
    """Tokens of ``multi`` and its syntax errors. Malformed tags are left out of the tokens, and so, with
    ``lenient``, are stray brackets (as the lines of a page leave them out)."""
    tokens: list[Token] = []
    errors: list[MultiError] = []
    text: list[str] = []
    text_start = 0
    i = 0

    def add_text(char: str, at: int) -> None:
        nonlocal text_start
        if not text:
            text_start = at
        text.append(char)

    def flush() -> None:
        if text:
            tokens.append(Text("".join(text), text_start))
            text.clear()

    while i < len(multi):
        char = multi[i]
        if (char == "[" and multi.startswith("[[", i)) or (char == "]" and multi.startswith("]]", i)):
            add_text(char, i)
            i += 2
        elif char == "[":
            end = multi.find("]", i + 1)
            nested = multi.find("[", i + 1)
            if end < 0 or 0 <= nested < end:
                errors.append(MultiError(ErrorKind.OTHER, i, "syntax error: '[' opens a tag that is never closed"))
                i += 1
                continue
            flush()
            parsed = _parse_tag(multi[i + 1 : end], i)
            if isinstance(parsed, MultiError):
                errors.append(parsed)
            else:
                tokens.append(parsed)
            i = end + 1
        elif char == "]":
            errors.append(MultiError(ErrorKind.OTHER, i, "syntax error: ']' outside a tag (write ']]' for a bracket)"))
            i += 1
        elif _CONTROL.match(char):
            errors.append(MultiError(ErrorKind.OTHER, i, f"syntax error: control character U+{ord(char):04X}"))
            i += 1
        else:
            add_text(char, i)
            i += 1
    flush()
    return tokens, errors


escape = escape_multi  # literal brackets are doubled in MULTI


def normalize(multi: str) -> str:
    """The canonical form of ``multi``, as IRIS's ``MultiString`` and the ``ntcip`` crate make it: tag names
    lower-case, no spaces in tags, no leading zeros; dropped are malformed tags, tags the standard does not know
    (``[xx]``), values out of the standard's range (``[jl6]``, ``[fo0]``, ``[cb0,0,0]``), stray brackets and control
    characters. ``normalize(normalize(s)) == normalize(s)``."""
    tokens, _ = tokenize(multi, lenient=True)
    return "".join(escape(t.text) if isinstance(t, Text) else t.canonical() for t in tokens
                   if isinstance(t, Text) or spec_problem(t) is None)
