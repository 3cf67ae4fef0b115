"""SNMP to one device, on pysnmp's asyncio API: SNMPv2c or SNMPv3 (authPriv with SHA-2 and AES), one request in
flight per device, a timeout per attempt and retries with a growing pause.

Values come back as Python ``int`` or ``bytes``; anything else the device answers (a missing object, an error on
SET, a wrong type) is a ``DeviceError`` naming the object, never an exception from deep inside pysnmp.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
    set_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import errind, rfc1902, rfc1905

__all__ = ["AUTH_PROTOCOLS", "PRIV_PROTOCOLS", "DeviceError", "DeviceUnreachable", "SnmpCredentials",
           "SnmpEngines", "SnmpLink"]

Oid = tuple[int, ...]
Value = int | bytes
AUTH_PROTOCOLS = {"SHA-224": usm.USM_AUTH_HMAC128_SHA224, "SHA-256": usm.USM_AUTH_HMAC192_SHA256,
                  "SHA-384": usm.USM_AUTH_HMAC256_SHA384, "SHA-512": usm.USM_AUTH_HMAC384_SHA512}
PRIV_PROTOCOLS = {"AES-128": usm.USM_PRIV_CFB128_AES, "AES-192": usm.USM_PRIV_CFB192_AES_BLUMENTHAL,
                  "AES-256": usm.USM_PRIV_CFB256_AES_BLUMENTHAL}


class DeviceError(Exception):
    """What a device answered that the engine cannot use; ``object`` names the MIB object when one is at fault."""

    def __init__(self, message: str, object_name: str | None = None) -> None:
        super().__init__(f"{object_name}: {message}" if object_name else message)
        self.object_name = object_name


class DeviceUnreachable(DeviceError):
    """No answer after every retry (or an answer no credential could read)."""


@dataclass(frozen=True, slots=True)
class SnmpCredentials:
    """How to talk to a device. The secrets are read from the environment by the caller and never printed."""

    version: Literal["2c", "3"] = "2c"
    community: str = field(default="public", repr=False)
    user: str = ""
    auth_key: str = field(default="", repr=False)
    priv_key: str = field(default="", repr=False)
    auth_protocol: str = "SHA-256"
    priv_protocol: str = "AES-128"

    def auth_data(self) -> CommunityData | UsmUserData:
        if self.version == "2c":
            return CommunityData(self.community, mpModel=1)
        return UsmUserData(self.user, authKey=self.auth_key, privKey=self.priv_key,
                           authProtocol=AUTH_PROTOCOLS[self.auth_protocol],
                           privProtocol=PRIV_PROTOCOLS[self.priv_protocol])


class SnmpEngines:
    """The process's SNMP engines: one for every SNMPv2c device, one per SNMPv3 credential (pysnmp keeps one
    key set per user name in an engine, so two devices with the same user and other keys need two engines).

    Requests in flight are bounded for the whole process: answers to an unbounded burst arrive faster than one
    event loop reads them, overflow the socket's buffer and come back only as timeouts."""

    def __init__(self, max_in_flight: int = 64) -> None:
        self._engines: dict[tuple[str, ...], SnmpEngine] = {}
        self.in_flight = asyncio.Semaphore(max_in_flight)

    def engine_for(self, credentials: SnmpCredentials) -> SnmpEngine:
        key = ("2c",) if credentials.version == "2c" else (
            credentials.user, credentials.auth_key, credentials.priv_key, credentials.auth_protocol,
            credentials.priv_protocol)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = SnmpEngine()
        return engine

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close_dispatcher()
        self._engines.clear()


def _python(value: Any) -> Value | None:
    """``None`` for noSuchObject, noSuchInstance and endOfMibView."""
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView):
        return None
    if isinstance(value, rfc1902.OctetString | rfc1902.IpAddress | rfc1902.Opaque):
        return bytes(value)
    if isinstance(value, rfc1902.Integer | rfc1902.Integer32 | rfc1902.Unsigned32 | rfc1902.Gauge32 |
                  rfc1902.Counter32 | rfc1902.Counter64 | rfc1902.TimeTicks):
        return int(value)
    return None


def _snmp(value: Value) -> rfc1902.Integer32 | rfc1902.OctetString:
    return rfc1902.Integer32(value) if isinstance(value, int) else rfc1902.OctetString(value)


class SnmpLink:
    """One device's SNMP session. Requests wait their turn: a sign's controller handles one at a time."""

    def __init__(self, engines: SnmpEngines, host: str, port: int, credentials: SnmpCredentials,
                 timeout_s: float = 2.0, retries: int = 2, backoff_s: float = 0.5,
                 name: Callable[[Oid], str] = lambda oid: ".".join(map(str, oid))) -> None:
        self.host = host
        self.port = port
        self._engines = engines
        self._credentials = credentials
        self._timeout_s = timeout_s
        self._retries = retries
        self._backoff_s = backoff_s
        self._name = name
        self._turn = asyncio.Lock()
        self._target: UdpTransportTarget | None = None

    async def get(self, *oids: Oid) -> dict[Oid, Value | None]:
        """Every object asked for, ``None`` where the device does not have it."""
        answer = await self._request(get_cmd, oids, [ObjectType(ObjectIdentity(oid)) for oid in oids])
        return {tuple(name): _python(value) for name, value in answer}

    async def set(self, *pairs: tuple[Oid, Value]) -> None:
        await self._request(set_cmd, [oid for oid, _ in pairs],
                            [ObjectType(ObjectIdentity(oid), _snmp(value)) for oid, value in pairs])

    async def _request(self, command: Any, oids: Any, var_binds: list[ObjectType]) -> list[tuple[Any, Any]]:
        async with self._turn:
            if self._target is None:
                try:
                    self._target = await UdpTransportTarget.create((self.host, self.port),
                                                                    timeout=self._timeout_s, retries=0)
                except Exception as exc:  # pysnmp says a name does not resolve with its own error class
                    raise DeviceUnreachable(f"cannot resolve {self.host}: {exc}") from exc
            engine = self._engines.engine_for(self._credentials)
            auth = self._credentials.auth_data()
            for attempt in range(self._retries + 1):
                async with self._engines.in_flight:
                    indication, status, index, answer = await command(engine, auth, self._target, ContextData(),
                                                                      *var_binds, lookupMib=False)
                if not indication:
                    break
                if not isinstance(indication, errind.RequestTimedOut):
                    raise DeviceError(f"{self.host}:{self.port} refused the request: {indication}")
                if attempt == self._retries:
                    raise DeviceUnreachable(f"{self.host}:{self.port} did not answer "
                                            f"({self._retries + 1} attempts of {self._timeout_s:g} s)")
                await asyncio.sleep(self._backoff_s * 2 ** attempt)
            if int(status):
                at = int(index) - 1
                raise DeviceError(f"the device answered {status.prettyPrint()}",
                                  self._name(tuple(oids[at])) if 0 <= at < len(oids) else None)
            return [(binding[0], binding[1]) for binding in answer]
