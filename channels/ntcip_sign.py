"""One NTCIP 1203 sign over SNMP: its capabilities, its health, and the v03 message lifecycle.

Sending goes modifyReq → MULTI, owner and run-time priority → validateReq → status and ``dmsMessageCRC`` read
back and compared with the engine's → ``dmsActivateMessage`` → ``dmsMsgTableSource`` confirms what the sign shows.
Two rows of the changeable table are used in turn (``slot`` and ``slot + 1``): a sign refuses to modify the
message it is showing, and the old message stays up until the new one is validated and active.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.snmp_link import DeviceError, SnmpLink
from renderers.crc import MULTI_ENCODING, message_crc
from renderers.multi_syntax import ErrorKind
from renderers.ntcip_fit import SignCapabilities
from renderers.ntcip_mib import (
    ActivateError,
    ControlMode,
    MemoryType,
    MessageActivation,
    MessageId,
    MessageStatus,
    SourceMode,
    ValidateError,
    column,
    object_name,
    scalar,
    short_error_words,
    standard_name,
    supported_tag_names,
)

__all__ = ["INDEFINITE", "NtcipSign", "SignHealth", "SignRefusal"]

Oid = tuple[int, ...]
INDEFINITE = 65535  # minutes: the standard's "until replaced"
_TEMPERATURES = (("cabinet", "tempMinCtrlCabinet", "tempMaxCtrlCabinet"),
                 ("ambient", "tempMinAmbient", "tempMaxAmbient"),
                 ("housing", "tempMinSignHousing", "tempMaxSignHousing"))


class SignRefusal(DeviceError):
    """The sign refused a message: why (``dmsActivateMsgError`` or ``dmsValidateMessageError``) and, for MULTI,
    the syntax error and its position."""

    def __init__(self, reason: str, syntax: str | None = None, position: int | None = None,
                 object_name: str | None = None) -> None:
        detail = f": {syntax} at character {position}" if syntax else ""
        super().__init__(f"the sign refused the message ({reason}{detail})", object_name)
        self.reason = reason
        self.syntax = syntax
        self.position = position


def _enum_word(kind: Any, value: int) -> str:
    try:
        return standard_name(kind(value))
    except ValueError:
        return f"unknown ({value})"


@dataclass(frozen=True, slots=True)
class SignHealth:
    control: str  # ``central``, ``local``, ``centralOverride``…
    faults: tuple[str, ...]
    brightness_pct: int | None
    temperatures: dict[str, tuple[int, int]]
    shows: MessageId
    source: str  # who put the message up: ``central``, ``endDuration``, ``local``…

    @property
    def local(self) -> bool:
        return self.control == standard_name(ControlMode.LOCAL)

    def to_json(self) -> dict[str, Any]:
        return {"control": self.control, "faults": list(self.faults), "brightness_pct": self.brightness_pct,
                "temperatures": {k: list(v) for k, v in self.temperatures.items()}, "source": self.source,
                "shows": {"memory_type": self.shows.memory_type, "number": self.shows.number,
                          "crc": self.shows.crc}}


class NtcipSign:
    def __init__(self, link: SnmpLink, slot: int = 1, owner: str = "signage", source_address: str = "0.0.0.0",
                 priority: int = 255) -> None:
        self.link = link
        self.slot = slot
        self.owner = owner
        self.source_address = source_address
        self.priority = priority

    # -- reading --------------------------------------------------------------------------------------------------

    async def _read(self, *names: str) -> dict[str, int | bytes]:
        oids = {scalar(name): name for name in names}
        answer = await self.link.get(*oids)
        values: dict[str, int | bytes] = {}
        for oid, name in oids.items():
            value = answer.get(oid)
            if value is None:
                raise DeviceError("the sign does not have this object", f"{name}.0")
            values[name] = value
        return values

    async def capabilities(self) -> SignCapabilities:
        v = await self._read("dmsSignType", "vmsSignWidthPixels", "vmsSignHeightPixels", "vmsCharacterWidthPixels",
                             "vmsCharacterHeightPixels", "dmsColorScheme", "numFonts", "defaultFont",
                             "dmsSupportedMultiTags", "dmsMaxNumberPages", "dmsMaxMultiStringLength",
                             "dmsMaxChangeableMsg")
        fonts = await self._ready_rows(_number(v, "numFonts"), "fontNumber", "fontStatus")
        graphic_rows = (await self.link.get(scalar("dmsGraphicMaxEntries"))).get(scalar("dmsGraphicMaxEntries"))
        graphics = await self._ready_rows(graphic_rows if isinstance(graphic_rows, int) else 0,
                                          "dmsGraphicNumber", "dmsGraphicStatus")
        tags = v["dmsSupportedMultiTags"]
        if not isinstance(tags, bytes):
            raise DeviceError("the sign answered a number where a bitmap is expected", "dmsSupportedMultiTags.0")
        caps = SignCapabilities(
            sign_type=_number(v, "dmsSignType") & 0x7F, width_px=_number(v, "vmsSignWidthPixels"),
            height_px=_number(v, "vmsSignHeightPixels"), char_width_px=_number(v, "vmsCharacterWidthPixels"),
            char_height_px=_number(v, "vmsCharacterHeightPixels"), color_scheme=_number(v, "dmsColorScheme"),
            fonts=tuple(fonts), default_font=_number(v, "defaultFont"), supported_tags=supported_tag_names(tags),
            max_pages=_number(v, "dmsMaxNumberPages"), max_multi_length=_number(v, "dmsMaxMultiStringLength"),
            max_changeable=_number(v, "dmsMaxChangeableMsg"), graphics=graphics)
        if caps.max_changeable < self.slot + 1:
            raise DeviceError(f"the sign has {caps.max_changeable} changeable messages; the engine uses "
                              f"{self.slot} and {self.slot + 1}", "dmsMaxChangeableMsg.0")
        return caps

    async def _ready_rows(self, rows: int, number_column: str, status_column: str) -> tuple[int, ...]:
        """The numbers of a font or graphic table's rows that are ready for use, read 16 rows a request so that
        an answer stays within a sign's PDU size."""
        numbers: list[int] = []
        indices = list(range(1, min(rows, 255) + 1))
        for start in range(0, len(indices), 16):
            chunk = indices[start:start + 16]
            answer = await self.link.get(*(column(name, row) for row in chunk
                                           for name in (number_column, status_column)))
            for row in chunk:
                number, status = answer.get(column(number_column, row)), answer.get(column(status_column, row))
                if isinstance(number, int) and number > 0 and status in (None, 4, 5, 6):  # ready, in use, permanent
                    numbers.append(number)
        return tuple(numbers)

    async def health(self) -> SignHealth:
        v = await self._read("dmsControlMode", "shortErrorStatus", "dmsMsgTableSource", "dmsMsgSourceMode")
        optional = (await self.link.get(scalar("dmsIllumLightOutputStatus"),
                                        *(scalar(n) for _, low, high in _TEMPERATURES for n in (low, high))))
        light = optional.get(scalar("dmsIllumLightOutputStatus"))
        temperatures = {}
        for place, low, high in _TEMPERATURES:
            pair = optional.get(scalar(low)), optional.get(scalar(high))
            if isinstance(pair[0], int) and isinstance(pair[1], int):
                temperatures[place] = (_signed(pair[0]), _signed(pair[1]))
        return SignHealth(
            control=_enum_word(ControlMode, _number(v, "dmsControlMode")),
            faults=short_error_words(_number(v, "shortErrorStatus")),
            brightness_pct=round(light * 100 / 65535) if isinstance(light, int) else None,
            temperatures=temperatures, shows=_message_id(v, "dmsMsgTableSource"),
            source=_enum_word(SourceMode, _number(v, "dmsMsgSourceMode")))

    # -- sending ---------------------------------------------------------------------------------------------------

    def rows(self) -> tuple[int, int]:
        return self.slot, self.slot + 1

    async def send(self, multi: str, number: int, duration_min: int) -> MessageId:
        """Put ``multi`` in changeable row ``number``, validate and activate it; returns what the sign shows."""
        crc = message_crc(multi)
        status_oid = column("dmsMessageStatus", MemoryType.CHANGEABLE, number)
        await self.link.set((status_oid, int(MessageStatus.MODIFY_REQ)))
        await self.link.set(
            (column("dmsMessageMultiString", MemoryType.CHANGEABLE, number), multi.encode(MULTI_ENCODING)),
            (column("dmsMessageOwner", MemoryType.CHANGEABLE, number), self.owner.encode()[:127]),
            (column("dmsMessageRunTimePriority", MemoryType.CHANGEABLE, number), self.priority))
        await self.link.set((status_oid, int(MessageStatus.VALIDATE_REQ)))
        crc_oid = column("dmsMessageCRC", MemoryType.CHANGEABLE, number)
        answer = await self.link.get(status_oid, crc_oid)
        status = answer.get(status_oid)
        if status != MessageStatus.VALID:
            await self._validation_refused(status)
        if answer.get(crc_oid) != crc:
            raise DeviceError(f"the sign computed CRC {_hex(answer.get(crc_oid))}, the engine {crc:#06x}",
                              object_name(crc_oid))
        return await self.activate(MessageId(MemoryType.CHANGEABLE, number, crc), duration_min)

    async def activate(self, message: MessageId, duration_min: int) -> MessageId:
        """Activate a message already in the table (also how a duration is renewed) and confirm it shows."""
        code = MessageActivation(duration_min, self.priority, MemoryType(message.memory_type), message.number,
                                 message.crc, self.source_address)
        try:
            await self.link.set((scalar("dmsActivateMessage"), code.encode()))
        except DeviceError as failure:
            if type(failure) is not DeviceError:
                raise  # unreachable: nothing more to ask
            await self._activation_refused()
        shows = _message_id(await self._read("dmsMsgTableSource"), "dmsMsgTableSource")
        if shows != message:
            raise DeviceError(f"the sign shows message {shows.memory_type}.{shows.number} (CRC {shows.crc:#06x}) "
                              f"instead of {message.memory_type}.{message.number} (CRC {message.crc:#06x})",
                              "dmsMsgTableSource.0")
        return shows

    async def _validation_refused(self, status: int | bytes | None) -> None:
        v = await self._read("dmsValidateMessageError", "dmsMultiSyntaxError", "dmsMultiSyntaxErrorPosition")
        reason = _enum_word(ValidateError, _number(v, "dmsValidateMessageError"))
        if reason == standard_name(ValidateError.NONE):
            reason = f"status {_enum_word(MessageStatus, status) if isinstance(status, int) else status!r}"
        raise self._refusal(reason, v, "dmsValidateMessageError.0")

    async def _activation_refused(self) -> None:
        v = await self._read("dmsActivateMsgError", "dmsMultiSyntaxError", "dmsMultiSyntaxErrorPosition")
        reason = _enum_word(ActivateError, _number(v, "dmsActivateMsgError"))
        # Which activation failed: signs keep the last one's message id, so a late answer is not mistaken.
        code = (await self.link.get(scalar("dmsActivateErrorMsgCode"))).get(scalar("dmsActivateErrorMsgCode"))
        if isinstance(code, bytes) and len(code) == 5:
            failed = MessageId.decode(code)
            reason += f", message {failed.memory_type}.{failed.number} CRC {failed.crc:#06x}"
        raise self._refusal(reason, v, "dmsActivateMsgError.0")

    def _refusal(self, reason: str, v: dict[str, int | bytes], at: str) -> SignRefusal:
        if not reason.startswith(standard_name(ActivateError.SYNTAX_MULTI)):
            return SignRefusal(reason, object_name=at)
        return SignRefusal(reason, _enum_word(ErrorKind, _number(v, "dmsMultiSyntaxError")),
                           _number(v, "dmsMultiSyntaxErrorPosition"), object_name="dmsMultiSyntaxError.0")


def _number(values: dict[str, int | bytes], name: str) -> int:
    value = values[name]
    if not isinstance(value, int):
        raise DeviceError("the sign answered a string where a number is expected", f"{name}.0")
    return value


def _message_id(values: dict[str, int | bytes], name: str) -> MessageId:
    value = values[name]
    try:
        if not isinstance(value, bytes):
            raise ValueError("a number where 5 bytes are expected")
        return MessageId.decode(value)
    except ValueError as exc:
        raise DeviceError(f"the sign's answer is not a MessageIDCode: {exc}", f"{name}.0") from None


def _signed(value: int) -> int:
    """Temperatures are signed bytes on some signs (-128…127) read back as 0…255 by others."""
    return value - 256 if 127 < value < 256 else value


def _hex(value: object) -> str:
    return f"{value:#06x}" if isinstance(value, int) else repr(value)
