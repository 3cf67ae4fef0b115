"""NTCIP 1203 v03 objects a central system uses to drive a sign, and the codecs of their structured values.

Object identifiers are under ``dms`` (1.3.6.1.4.1.1206.4.2.3). Scalars end in ``.0``; message-table columns take
``.memoryType.messageNumber``. Every object has its MIB name, so that an error from a sign names what failed.
"""

from __future__ import annotations

import enum
import ipaddress
import struct
from dataclasses import dataclass

__all__ = ["DMS", "OBJECT_NAMES", "ActivateError", "ColorScheme", "ControlMode", "MemoryType", "MessageActivation",
           "MessageId", "MessageStatus", "SignType", "SourceMode", "ValidateError", "column", "object_name",
           "scalar", "short_error_words", "standard_name", "supported_tag_names", "tag_bits"]

Oid = tuple[int, ...]
DMS: Oid = (1, 3, 6, 1, 4, 1, 1206, 4, 2, 3)

# name → path below ``dms``; scalars get ``.0`` from ``scalar``
_SCALARS: dict[str, Oid] = {
    "dmsSignType": (1, 2), "dmsSignHeight": (1, 3), "dmsSignWidth": (1, 4),
    "vmsCharacterHeightPixels": (2, 1), "vmsCharacterWidthPixels": (2, 2),
    "vmsSignHeightPixels": (2, 3), "vmsSignWidthPixels": (2, 4),
    "numFonts": (3, 1),
    "defaultFont": (4, 5), "dmsColorScheme": (4, 11), "dmsSupportedMultiTags": (4, 14),
    "dmsMaxNumberPages": (4, 15), "dmsMaxMultiStringLength": (4, 16),
    "dmsMaxChangeableMsg": (5, 3), "dmsValidateMessageError": (5, 9),
    "dmsControlMode": (6, 1), "dmsActivateMessage": (6, 3), "dmsMessageTimeRemaining": (6, 4),
    "dmsMsgTableSource": (6, 5), "dmsMsgSourceMode": (6, 7), "dmsEndDurationMessage": (6, 15),
    "dmsActivateMsgError": (6, 17), "dmsMultiSyntaxError": (6, 18), "dmsMultiSyntaxErrorPosition": (6, 19),
    "dmsMultiOtherErrorDescription": (6, 20), "dmsActivateErrorMsgCode": (6, 24),
    "dmsIllumLightOutputStatus": (7, 9), "dmsGraphicMaxEntries": (10, 1),
    "dmsStatDoorOpen": (9, 6), "shortErrorStatus": (9, 7, 1),
    "tempMinCtrlCabinet": (9, 9, 1), "tempMaxCtrlCabinet": (9, 9, 2),
    "tempMinAmbient": (9, 9, 3), "tempMaxAmbient": (9, 9, 4),
    "tempMinSignHousing": (9, 9, 5), "tempMaxSignHousing": (9, 9, 6),
}
_FONT_COLUMNS: dict[str, int] = {"fontNumber": 2, "fontHeight": 4, "fontStatus": 8}
_MESSAGE_COLUMNS: dict[str, int] = {
    "dmsMessageMultiString": 3, "dmsMessageOwner": 4, "dmsMessageCRC": 5, "dmsMessageBeacon": 6,
    "dmsMessagePixelService": 7, "dmsMessageRunTimePriority": 8, "dmsMessageStatus": 9,
}
_GRAPHIC_COLUMNS: dict[str, int] = {"dmsGraphicNumber": 2, "dmsGraphicStatus": 10}
_FONT_ENTRY: Oid = (*DMS, 3, 2, 1)
_MESSAGE_ENTRY: Oid = (*DMS, 5, 8, 1)
_GRAPHIC_ENTRY: Oid = (*DMS, 10, 6, 1)


def scalar(name: str) -> Oid:
    return (*DMS, *_SCALARS[name], 0)


def column(name: str, *index: int) -> Oid:
    """A table cell: a message-table column with ``(memory type, number)``, a font- or graphic-table column with
    its row."""
    if name in _MESSAGE_COLUMNS:
        return (*_MESSAGE_ENTRY, _MESSAGE_COLUMNS[name], *index)
    if name in _GRAPHIC_COLUMNS:
        return (*_GRAPHIC_ENTRY, _GRAPHIC_COLUMNS[name], *index)
    return (*_FONT_ENTRY, _FONT_COLUMNS[name], *index)


def _names() -> dict[Oid, str]:
    names = {(*DMS, *path): name for name, path in _SCALARS.items()}
    names.update({(*_MESSAGE_ENTRY, number): name for name, number in _MESSAGE_COLUMNS.items()})
    names.update({(*_FONT_ENTRY, number): name for name, number in _FONT_COLUMNS.items()})
    names.update({(*_GRAPHIC_ENTRY, number): name for name, number in _GRAPHIC_COLUMNS.items()})
    return names


OBJECT_NAMES = _names()


def object_name(oid: Oid) -> str:
    """``dmsMessageStatus.3.1`` for a cell, ``dmsControlMode.0`` for a scalar, the dotted OID otherwise."""
    for length in range(len(oid), len(DMS), -1):
        name = OBJECT_NAMES.get(oid[:length])
        if name is not None:
            return ".".join([name, *map(str, oid[length:])])
    return ".".join(map(str, oid))


class MemoryType(enum.IntEnum):
    PERMANENT = 2
    CHANGEABLE = 3
    VOLATILE = 4
    CURRENT_BUFFER = 5
    SCHEDULE = 6
    BLANK = 7


class MessageStatus(enum.IntEnum):
    NOT_USED = 1
    MODIFYING = 2
    VALIDATING = 3
    VALID = 4
    ERROR = 5
    MODIFY_REQ = 6
    VALIDATE_REQ = 7
    NOT_USED_REQ = 8


class ControlMode(enum.IntEnum):
    OTHER = 1
    LOCAL = 2
    EXTERNAL = 3
    CENTRAL = 4
    CENTRAL_OVERRIDE = 5
    SIMULATION = 6


class SourceMode(enum.IntEnum):
    OTHER = 1
    LOCAL = 2
    EXTERNAL = 3
    CENTRAL = 8
    TIMEBASED_SCHEDULER = 9
    POWER_RECOVERY = 10
    RESET = 11
    COMM_LOSS = 12
    POWER_LOSS = 13
    END_DURATION = 14


class ActivateError(enum.IntEnum):
    OTHER = 1
    NONE = 2
    PRIORITY = 3
    MESSAGE_STATUS = 4
    MESSAGE_MEMORY_TYPE = 5
    MESSAGE_NUMBER = 6
    MESSAGE_CRC = 7
    SYNTAX_MULTI = 8
    LOCAL_MODE = 9
    CENTRAL_MODE = 10
    CENTRAL_OVERRIDE_MODE = 11


class ValidateError(enum.IntEnum):
    OTHER = 1
    NONE = 2
    BEACONS = 3
    PIXEL_SERVICE = 4
    SYNTAX_MULTI = 5


class ColorScheme(enum.IntEnum):
    MONOCHROME_1BIT = 1
    MONOCHROME_8BIT = 2
    COLOR_CLASSIC = 3
    COLOR_24BIT = 4


class SignType(enum.IntEnum):
    """``dmsSignType`` without the portable bit (128): what matters is how the sign draws text."""

    OTHER = 1
    BOS = 2
    CMS = 3
    VMS_CHAR = 4
    VMS_LINE = 5
    VMS_FULL = 6


def standard_name(value: enum.IntEnum) -> str:
    """The MIB's spelling of an enumerated value: ``centralOverride``, ``syntaxMulti``, ``monochrome1bit``."""
    head, *rest = value.name.lower().split("_")
    name = head + "".join(word.title() for word in rest)
    return _ACRONYMS.get(name, name)


_ACRONYMS = {"syntaxMulti": "syntaxMULTI", "messageCrc": "messageCRC", "monochrome1Bit": "monochrome1bit",
             "monochrome8Bit": "monochrome8bit", "color24Bit": "color24bit"}


@dataclass(frozen=True, slots=True)
class MessageActivation:
    """``dmsActivateMessage``: which message to show, for how long and at what priority, and who asks."""

    duration_min: int  # 65535 is indefinite
    priority: int
    memory_type: MemoryType
    number: int
    crc: int
    source: str = "0.0.0.0"

    def encode(self) -> bytes:
        return struct.pack(">HBBHH", self.duration_min, self.priority, self.memory_type, self.number,
                           self.crc) + ipaddress.IPv4Address(self.source).packed

    @classmethod
    def decode(cls, data: bytes) -> MessageActivation:
        """Raises ``ValueError`` for anything but the 12 bytes the standard defines."""
        if len(data) != 12:
            raise ValueError(f"a MessageActivationCode is 12 bytes, not {len(data)}")
        duration, priority, memory, number, crc = struct.unpack(">HBBHH", data[:8])
        return cls(duration, priority, MemoryType(memory), number, crc, str(ipaddress.IPv4Address(data[8:])))


@dataclass(frozen=True, slots=True)
class MessageId:
    """``dmsMsgTableSource``: the message a sign shows (memory type, number, CRC)."""

    memory_type: int
    number: int
    crc: int

    def encode(self) -> bytes:
        return struct.pack(">BHH", self.memory_type, self.number, self.crc)

    @classmethod
    def decode(cls, data: bytes) -> MessageId:
        if len(data) != 5:
            raise ValueError(f"a MessageIDCode is 5 bytes, not {len(data)}")
        return cls(*struct.unpack(">BHH", data))


# ``shortErrorStatus`` bits, as an operator says them (bit 0 is reserved).
SHORT_ERRORS = (
    (1, "communications"), (2, "power"), (3, "attached device"), (4, "lamp"), (5, "pixel"), (6, "photocell"),
    (7, "message"), (8, "controller"), (9, "temperature warning"), (10, "climate control"),
    (11, "critical temperature"), (12, "drum rotor"), (13, "door open"), (14, "humidity warning"),
)


def short_error_words(bits: int) -> tuple[str, ...]:
    """The faults a sign reports, in words; a bit the standard does not define is named by its number."""
    known = [word for bit, word in SHORT_ERRORS if bits >> bit & 1]
    defined = {bit for bit, _ in SHORT_ERRORS} | {0}
    unknown = [f"fault bit {bit}" for bit in range(bits.bit_length()) if bits >> bit & 1 and bit not in defined]
    return (*known, *unknown)


# ``dmsSupportedMultiTags`` bit order; the field tags ``[f1]``…``[f13]`` take bits 14–26.
_TAG_BITS = ("cb", "cf", "fl", "fo", "g", "hc", "jl", "jp", "ms", "mv", "nl", "np", "pt", "sc")
_LATE_TAG_BITS = {"tr": 27, "cr": 28, "pb": 29}


def tag_bits(names: set[str] | frozenset[str]) -> bytes:
    """The 4-byte bitmap of ``dmsSupportedMultiTags`` for tag names (``f`` stands for every field)."""
    value = 0
    for bit, name in enumerate(_TAG_BITS):
        if name in names:
            value |= 1 << bit
    if "f" in names:
        value |= ((1 << 13) - 1) << 14
    for name, bit in _LATE_TAG_BITS.items():
        if name in names:
            value |= 1 << bit
    return value.to_bytes(4, "little")


def supported_tag_names(bitmap: bytes) -> frozenset[str]:
    """Tag names a sign supports, from ``dmsSupportedMultiTags`` (bit 0 is the lowest bit of the first byte).
    Closing tags count with their opening one; ``f`` if any field is supported."""
    value = int.from_bytes(bitmap, "little")
    names = {name for bit, name in enumerate(_TAG_BITS) if value >> bit & 1}
    if value >> 14 & ((1 << 13) - 1):
        names.add("f")
    names |= {name for name, bit in _LATE_TAG_BITS.items() if value >> bit & 1}
    if "fl" in names:
        names |= {"flt", "flo", "/fl"}
    names |= {f"/{name}" for name in ("sc", "ms") if name in names}
    return frozenset(names)
