"""A simulated NTCIP 1203 v03 sign: an SNMP agent (pysnmp) on a free UDP port of 127.0.0.1.

It implements what a central system relies on: the capability objects, the changeable message table with its
modify → validate → activate state machine (values writable only while ``modifying``, the CRC computed on
validation, MULTI checked against the sign's tags, pages, fonts and glyphs), ``dmsActivateMessage`` with every
activation error, ``dmsMsgTableSource``, the end of a message's duration, control mode, and status objects.
One agent can host many signs, one per SNMPv2c community; with SNMPv3 it hosts one sign for one user.

    python -m tests.ntcip_sign --port 16100     # a sign for ``signage ntcip probe 127.0.0.1:16100``
    python -m tests.ntcip_sign --port 0 --signs 100   # 100 signs, communities sign-1…sign-100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NoReturn

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import error as smi_error
from pysnmp.smi.instrum import AbstractMibInstrumController

from channels.snmp_link import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from renderers.crc import MULTI_ENCODING, message_crc
from renderers.multi_syntax import ErrorKind, Tag, tokenize
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
    scalar,
    tag_bits,
)

Oid = tuple[int, ...]
Value = int | bytes
LATIN_9 = frozenset(bytes(range(32, 127)).decode() + bytes(range(160, 256)).decode(MULTI_ENCODING))
ASCII = frozenset(bytes(range(32, 127)).decode())


class Refused(Exception):
    """A SET the sign refuses, with the SNMP error it answers."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class Row:
    multi: bytes = b""
    owner: bytes = b""
    crc: int = 0
    beacon: int = 0
    pixel_service: int = 0
    priority: int = 3
    status: MessageStatus = MessageStatus.NOT_USED


@dataclass
class SimulatedSign:
    """The state of one sign; ``read``/``write`` are what its SNMP agent answers."""

    sign_type: int = 4  # vmsChar
    width_px: int = 120
    height_px: int = 24
    char_width_px: int = 6
    char_height_px: int = 8
    color_scheme: int = 1
    fonts: tuple[int, ...] = (1,)
    tags: frozenset[str] = frozenset({"fo", "jl", "jp", "nl", "np", "pt", "sc", "fl"})
    max_pages: int = 4
    max_multi_length: int = 256
    changeable: int = 10
    glyphs: frozenset[str] = LATIN_9
    control_mode: ControlMode = ControlMode.CENTRAL
    short_error: int = 0
    light_output: int = 40000
    temperatures: tuple[int, ...] = (18, 31, 7, 12, 20, 35)  # cabinet, ambient and housing, min and max
    rows: dict[int, Row] = field(default_factory=dict)
    source: MessageId = field(default_factory=lambda: MessageId(MemoryType.BLANK, 1, 0))
    source_mode: SourceMode = SourceMode.CENTRAL
    shown_until: float | None = None
    activate_error: ActivateError = ActivateError.NONE
    validate_error: ValidateError = ValidateError.NONE
    syntax_error: ErrorKind = ErrorKind.NONE
    syntax_position: int = 0
    answering: bool = True
    minute_s: float = 60.0  # tests shorten a sign's minute to see a duration end
    graphics: tuple[int, ...] = ()
    graphic_slots: int = 8
    refuse_activation: ActivateError | None = None  # e.g. a local message of higher priority holds the sign
    last_activation: MessageId = field(default_factory=lambda: MessageId(MemoryType.BLANK, 1, 0))
    quirks: dict[Oid, Value | None] = field(default_factory=dict)  # what a faulty firmware answers instead
    writes: list[tuple[Oid, Value]] = field(default_factory=list)
    reads: Counter[Oid] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for number in range(1, self.changeable + 1):
            self.rows.setdefault(number, Row())

    # -- what the sign shows -------------------------------------------------------------------------------------

    def showing(self) -> MessageId:
        """``dmsMsgTableSource``: a message past its duration gives way to the blank end-of-duration message."""
        if self.shown_until is not None and time.monotonic() >= self.shown_until:
            self.source, self.shown_until = MessageId(MemoryType.BLANK, 1, 0), None
            self.source_mode = SourceMode.END_DURATION
        return self.source

    def shown_multi(self) -> str | None:
        source = self.showing()
        if source.memory_type != MemoryType.CHANGEABLE:
            return None
        return self.rows[source.number].multi.decode(MULTI_ENCODING)

    # -- reads ------------------------------------------------------------------------------------------------------

    def read(self, oid: Oid) -> Value | None:
        self.reads[oid] += 1
        if oid in self.quirks:
            return self.quirks[oid]
        fixed: dict[Oid, Value] = {
            scalar("dmsSignType"): self.sign_type, scalar("dmsSignHeight"): 600, scalar("dmsSignWidth"): 2400,
            scalar("vmsCharacterHeightPixels"): self.char_height_px,
            scalar("vmsCharacterWidthPixels"): self.char_width_px,
            scalar("vmsSignHeightPixels"): self.height_px, scalar("vmsSignWidthPixels"): self.width_px,
            scalar("numFonts"): len(self.fonts), scalar("defaultFont"): self.fonts[0] if self.fonts else 1,
            scalar("dmsColorScheme"): self.color_scheme, scalar("dmsSupportedMultiTags"): tag_bits(self.tags),
            scalar("dmsMaxNumberPages"): self.max_pages, scalar("dmsMaxMultiStringLength"): self.max_multi_length,
            scalar("dmsMaxChangeableMsg"): self.changeable, scalar("dmsControlMode"): int(self.control_mode),
            scalar("dmsMsgTableSource"): self.showing().encode(), scalar("dmsMsgSourceMode"): int(self.source_mode),
            scalar("dmsActivateMsgError"): int(self.activate_error),
            scalar("dmsValidateMessageError"): int(self.validate_error),
            scalar("dmsMultiSyntaxError"): int(self.syntax_error),
            scalar("dmsMultiSyntaxErrorPosition"): self.syntax_position,
            scalar("dmsActivateErrorMsgCode"): self.last_activation.encode(),
            scalar("dmsGraphicMaxEntries"): self.graphic_slots,
            scalar("shortErrorStatus"): self.short_error, scalar("dmsIllumLightOutputStatus"): self.light_output,
            scalar("dmsStatDoorOpen"): 0,
            scalar("dmsMessageTimeRemaining"): 0 if self.shown_until is None else
            max(0, int((self.shown_until - time.monotonic()) / self.minute_s)),
        }
        names = ("tempMinCtrlCabinet", "tempMaxCtrlCabinet", "tempMinAmbient", "tempMaxAmbient",
                 "tempMinSignHousing", "tempMaxSignHousing")
        fixed.update({scalar(name): value for name, value in zip(names, self.temperatures, strict=True)})
        for index, number in enumerate(self.fonts, start=1):
            fixed[column("fontNumber", index)] = number
            fixed[column("fontStatus", index)] = 4  # readyForUse
        for index in range(1, self.graphic_slots + 1):
            number = self.graphics[index - 1] if index <= len(self.graphics) else 0
            fixed[column("dmsGraphicNumber", index)] = number
            fixed[column("dmsGraphicStatus", index)] = 4 if number else 1  # readyForUse, notUsed
        if oid in fixed:
            return fixed[oid]
        return self._read_cell(oid)

    def _read_cell(self, oid: Oid) -> Value | None:
        for name in ("dmsMessageMultiString", "dmsMessageOwner", "dmsMessageCRC", "dmsMessageBeacon",
                     "dmsMessagePixelService", "dmsMessageRunTimePriority", "dmsMessageStatus"):
            head = column(name)
            if oid[:len(head)] == head and len(oid) == len(head) + 2:
                memory, number = oid[-2:]
                row = self.rows.get(number) if memory == MemoryType.CHANGEABLE else None
                if row is None:
                    return None
                cells: dict[str, Value] = {"dmsMessageMultiString": row.multi, "dmsMessageOwner": row.owner,
                        "dmsMessageCRC": row.crc, "dmsMessageBeacon": row.beacon,
                        "dmsMessagePixelService": row.pixel_service, "dmsMessageRunTimePriority": row.priority,
                        "dmsMessageStatus": int(row.status)}
                return cells[name]
        return None

    # -- writes -----------------------------------------------------------------------------------------------------

    def write(self, oid: Oid, value: Value) -> None:
        self.writes.append((oid, value))
        if oid == scalar("dmsActivateMessage"):
            self._activate(_bytes(value))
            return
        if oid == scalar("dmsControlMode"):
            self.control_mode = ControlMode(_int(value))
            return
        for name in ("dmsMessageMultiString", "dmsMessageOwner", "dmsMessageRunTimePriority", "dmsMessageStatus",
                     "dmsMessageBeacon", "dmsMessagePixelService"):
            head = column(name)
            if oid[:len(head)] == head and len(oid) == len(head) + 2:
                memory, number = oid[-2:]
                if memory != MemoryType.CHANGEABLE or number not in self.rows:
                    raise Refused("noCreation")
                self._write_cell(name, self.rows[number], value)
                return
        raise Refused("notWritable")

    def _write_cell(self, name: str, row: Row, value: Value) -> None:
        if name == "dmsMessageStatus":
            self._status_request(row, MessageStatus(_int(value)))
            return
        if row.status != MessageStatus.MODIFYING:
            raise Refused("genErr")  # columns are writable only while the row is being modified
        if name == "dmsMessageMultiString":
            row.multi = _bytes(value)
        elif name == "dmsMessageOwner":
            row.owner = _bytes(value)
        elif name == "dmsMessageRunTimePriority":
            row.priority = _int(value)
        elif name == "dmsMessageBeacon":
            row.beacon = _int(value)
        else:
            row.pixel_service = _int(value)

    def _status_request(self, row: Row, request: MessageStatus) -> None:
        if request == MessageStatus.MODIFY_REQ:
            if self.source == MessageId(MemoryType.CHANGEABLE, self._number(row), row.crc) and \
                    self.showing().memory_type == MemoryType.CHANGEABLE:
                raise Refused("genErr")  # the message on display cannot be modified
            row.status = MessageStatus.MODIFYING
        elif request == MessageStatus.VALIDATE_REQ:
            if row.status != MessageStatus.MODIFYING:
                raise Refused("genErr")
            self._validate(row)
        elif request == MessageStatus.NOT_USED_REQ:
            row.status, row.multi, row.crc = MessageStatus.NOT_USED, b"", 0
        else:
            raise Refused("wrongValue")

    def _number(self, row: Row) -> int:
        return next(number for number, candidate in self.rows.items() if candidate is row)

    def _validate(self, row: Row) -> None:
        multi = row.multi.decode(MULTI_ENCODING)
        problem = self.syntax_problem(multi)
        if problem is None:
            row.status, row.crc = MessageStatus.VALID, message_crc(multi, bool(row.beacon), bool(row.pixel_service))
            self.validate_error, self.syntax_error, self.syntax_position = (ValidateError.NONE, ErrorKind.NONE, 0)
        else:
            row.status = MessageStatus.ERROR
            self.validate_error = ValidateError.SYNTAX_MULTI
            self.syntax_error, self.syntax_position = problem

    def syntax_problem(self, multi: str) -> tuple[ErrorKind, int] | None:
        """What the sign's own MULTI parser says: tags, pages, fonts and glyphs it has."""
        tokens, errors = tokenize(multi)
        if errors:
            return errors[0].kind, errors[0].position
        pages = 1
        for token in tokens:
            if isinstance(token, Tag):
                if token.name not in self.tags and token.name.lstrip("/") not in self.tags:
                    return ErrorKind.UNSUPPORTED_TAG, token.position
                if token.name == "fo" and token.args and token.args[0] and int(token.args[0]) not in self.fonts:
                    return ErrorKind.FONT_NOT_DEFINED, token.position
                if token.name == "g" and int(token.args[0]) not in self.graphics:
                    return ErrorKind.GRAPHIC_NOT_DEFINED, token.position
                pages += token.name == "np"
                if pages > self.max_pages:
                    return ErrorKind.TOO_MANY_PAGES, token.position
            else:
                for offset, char in enumerate(token.text):
                    if char not in self.glyphs:
                        return ErrorKind.CHARACTER_NOT_DEFINED, token.position + offset
        return None

    def _activate(self, code: bytes) -> None:
        try:
            activation = MessageActivation.decode(code)
        except ValueError:
            self._activation_failed(ActivateError.OTHER)
        self.last_activation = MessageId(activation.memory_type, activation.number, activation.crc)
        if self.control_mode == ControlMode.LOCAL:
            self._activation_failed(ActivateError.LOCAL_MODE)
        if self.refuse_activation is not None:
            self._activation_failed(self.refuse_activation)
        if activation.memory_type == MemoryType.BLANK:
            self.source, self.source_mode = MessageId(MemoryType.BLANK, activation.number, 0), SourceMode.CENTRAL
            self.shown_until = None
            return
        if activation.memory_type != MemoryType.CHANGEABLE:
            self._activation_failed(ActivateError.MESSAGE_MEMORY_TYPE)
        row = self.rows.get(activation.number)
        if row is None:
            self._activation_failed(ActivateError.MESSAGE_NUMBER)
        assert row is not None
        if row.status != MessageStatus.VALID:
            self._activation_failed(ActivateError.MESSAGE_STATUS)
        if row.crc != activation.crc:
            self._activation_failed(ActivateError.MESSAGE_CRC)
        problem = self.syntax_problem(row.multi.decode(MULTI_ENCODING))
        if problem is not None:
            self.syntax_error, self.syntax_position = problem
            self._activation_failed(ActivateError.SYNTAX_MULTI)
        self.activate_error = ActivateError.NONE
        self.source = MessageId(MemoryType.CHANGEABLE, activation.number, activation.crc)
        self.source_mode = SourceMode.CENTRAL
        self.shown_until = None if activation.duration_min == 65535 else \
            time.monotonic() + activation.duration_min * self.minute_s

    def _activation_failed(self, reason: ActivateError) -> NoReturn:
        self.activate_error = reason
        raise Refused("genErr")


def _int(value: Value) -> int:
    if not isinstance(value, int):
        raise Refused("wrongType")
    return value


def _bytes(value: Value) -> bytes:
    if not isinstance(value, bytes):
        raise Refused("wrongType")
    return value


_ERRORS = {"genErr": smi_error.GenError, "wrongType": smi_error.WrongTypeError,
           "wrongValue": smi_error.WrongValueError, "notWritable": smi_error.NotWritableError,
           "noCreation": smi_error.NoCreationError}


class _Instrumentation(AbstractMibInstrumController):  # type: ignore[misc]
    """What pysnmp's command responders call: reads and writes go to one simulated sign."""

    def __init__(self, sign: SimulatedSign) -> None:
        self.sign = sign

    def read_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        answer = []
        for name, _ in var_binds:
            value = self.sign.read(tuple(name))
            answer.append((name, rfc1905.noSuchInstance if value is None else _snmp(value)))
        return answer

    def read_next_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        return [(name, rfc1905.endOfMibView) for name, _ in var_binds]

    def write_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        for index, (name, value) in enumerate(var_binds):
            python: Value = bytes(value) if isinstance(value, rfc1902.OctetString) else int(value)
            try:
                self.sign.write(tuple(name), python)
            except Refused as refused:
                raise _ERRORS[refused.status](name=name, idx=index) from None
        return list(var_binds)


def _snmp(value: Value) -> Any:
    return rfc1902.Integer32(value) if isinstance(value, int) else rfc1902.OctetString(value)


class SignAgent:
    """An SNMP agent hosting signs: ``add(community, sign)`` for SNMPv2c, or ``v3_user`` for one SNMPv3 sign."""

    def __init__(self, v3_user: tuple[str, str, str, str, str] | None = None) -> None:
        self.engine = engine.SnmpEngine()
        self.context = context.SnmpContext(self.engine)
        self.signs: dict[str, SimulatedSign] = {}
        self.port = 0
        self._v3_user = v3_user
        self._socket: socket.socket | None = None

    def add(self, community: str, sign: SimulatedSign) -> SimulatedSign:
        """A sign answering to ``community`` (in its own SNMP context, so one agent hosts many)."""
        self.signs[community] = sign
        context_name = community.encode()
        config.add_v1_system(self.engine, community, community, contextName=context_name)
        self.context.register_context_name(context_name, _Gate(sign))
        return sign

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (a free port when 0); returns the port."""
        if self._v3_user is not None:
            user, auth, auth_key, priv, priv_key = self._v3_user
            sign = self.signs.setdefault("", SimulatedSign())
            config.add_v3_user(self.engine, user, AUTH_PROTOCOLS[auth], auth_key, PRIV_PROTOCOLS[priv], priv_key)
            self.context.unregister_context_name(b"")
            self.context.register_context_name(b"", _Gate(sign))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        config.add_transport(self.engine, udp.DOMAIN_NAME, udp.UdpAsyncioTransport().open_server_mode(
            sock=self._socket))
        for responder in (cmdrsp.GetCommandResponder, cmdrsp.SetCommandResponder):
            responder(self.engine, self.context)
        return self.port

    def stop(self) -> None:
        self.engine.close_dispatcher()


class _Gate(_Instrumentation):
    """A sign that stops answering drops requests: the responder sends nothing when an error is not an SMI one."""

    def read_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        self._answering()
        return super().read_variables(*var_binds, **context)

    def write_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        self._answering()
        return super().write_variables(*var_binds, **context)

    def _answering(self) -> None:
        if not self.sign.answering:
            raise smi_error.PySnmpError("the sign is not answering")


async def _serve(port: int, signs: int) -> None:
    """One sign answering to 'public', or ``signs`` signs answering to 'sign-1'… (benchmarks run several)."""
    agent = SignAgent()
    communities = ["public"] if signs == 1 else [f"sign-{n}" for n in range(1, signs + 1)]
    for community in communities:
        agent.add(community, SimulatedSign())
    agent.start(port=port)
    print(json.dumps({"port": agent.port, "communities": communities[:3] + (["…"] if signs > 3 else [])}),
          flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=16100, help="UDP port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--signs", type=int, default=1, help="signs hosted, one SNMPv2c community each")
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.port, arguments.signs))
