"""Real NTCIP 1203 signs driven from what their panels show, on the leading engine only.

One loop per sign: it reads the sign's capabilities (again after the sign was unreachable), checks them against the
panel's profile, polls the sign's health every ``poll_s``, and when the panel's MULTI differs from what the sign
shows, sends it through the message lifecycle. A message is activated for the panel's ``duration`` and renewed at
half of it, so that a sign no engine speaks to any more falls back to its own end-of-duration message instead of
showing a stale alert for ever. A sign in local control is reported and left alone. What each sign is doing is
kept in the store (``device_status``), for every web process to answer ``GET /api/v1/panels`` with.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from channels.hub import Hub
from channels.ntcip_sign import NtcipSign, SignHealth, SignRefusal
from channels.panel_devices import PanelDevices
from channels.snmp_link import DeviceError, DeviceUnreachable, SnmpCredentials, SnmpEngines, SnmpLink
from renderers.crc import message_crc
from renderers.ntcip_fit import SignCapabilities, multi_problems, profile_mismatches
from renderers.ntcip_mib import MemoryType, MessageId, object_name
from signage.config import Config
from signage.metrics import Metrics
from signage.model import NtcipTarget, Panel, Profile
from signage.store import Store
from signage.timeutil import format_instant

__all__ = ["DEVICE_STATUS", "NtcipSigns", "credentials"]

log = logging.getLogger(__name__)
DEVICE_STATUS = "device_status"
STATES = ("ok", "error", "unreachable")
REWRITE_EVERY_S = 60.0  # an unchanged status is written again this often, so ``checked_at`` stays honest


def credentials(target: NtcipTarget, environ: Mapping[str, str]) -> SnmpCredentials:
    """The sign's credentials from the environment; ``ValueError`` names a missing variable, never a value."""
    def secret(name: str | None) -> str:
        if name is None:
            return ""
        value = environ.get(name)
        if not value:
            raise ValueError(f"the environment variable {name} is not set")
        return value

    if target.version == "2c":
        return SnmpCredentials("2c", community=secret(target.community_env) if target.community_env else "public")
    return SnmpCredentials("3", user=target.user or "", auth_key=secret(target.auth_key_env),
                           priv_key=secret(target.priv_key_env), auth_protocol=target.auth_protocol,
                           priv_protocol=target.priv_protocol)


def _source_address(host: str, port: int) -> str:
    """The engine's address as the sign sees it (a UDP ``connect`` sends nothing), for ``dmsActivateMessage``."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, port))
            return str(probe.getsockname()[0])
    except OSError:
        return "0.0.0.0"


class _Sign:
    """One sign's loop and what it last found."""

    def __init__(self, panel: Panel, profile: Profile, target: NtcipTarget, owner: NtcipSigns) -> None:
        self.panel = panel
        self.profile = profile
        self.target = target
        self._owner = owner
        self.wanted: str | None = None
        self.wanted_crc: int | None = None
        self.changed = asyncio.Event()
        self.caps: SignCapabilities | None = None
        self.mismatch: list[str] = []
        self.renewed_at: float | None = None
        self.refused: str | None = None  # a MULTI the sign refused: not sent again until the panel changes
        self.state: dict[str, Any] = {}

    def want(self, multi: str) -> None:
        if multi != self.wanted:
            self.wanted, self.wanted_crc = multi, message_crc(multi)
            self.changed.set()

    async def run(self) -> None:
        try:
            creds = credentials(self.target, self._owner.environ)
        except ValueError as exc:
            await self.record("error", str(exc))
            return
        link = SnmpLink(self._owner.engines, self.target.host, self.target.port, creds,
                        timeout_s=self._owner.timeout_s, retries=self._owner.retries, name=object_name)
        source = await asyncio.to_thread(_source_address, self.target.host, self.target.port)
        sign = NtcipSign(link, self.target.slot, owner=f"signage {self.panel.id}"[:127], source_address=source)
        while True:
            self.changed.clear()
            await self.cycle(sign)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=self._owner.poll_s)

    async def cycle(self, sign: NtcipSign) -> None:
        try:
            if self.caps is None:
                self.caps = await sign.capabilities()
                self.mismatch = profile_mismatches(self.caps, self.profile)
            health = await sign.health()
        except DeviceUnreachable as exc:
            self.caps = None  # read again when it answers: it may have been replaced
            await self.record("unreachable", str(exc))
            return
        except DeviceError as exc:
            await self.record("error", str(exc))
            return
        try:
            error, health = await self._drive(sign, self.caps, health)
        except SignRefusal as exc:
            self.refused = self.wanted
            self._owner.metrics.sign_messages.labels(result="refused").inc()
            log.warning("sign %s refused its message: %s", self.panel.id, exc)
            error = str(exc)
        except DeviceUnreachable as exc:
            self.caps = None
            self._owner.metrics.sign_messages.labels(result="failed").inc()
            await self.record("unreachable", str(exc), health)
            return
        except DeviceError as exc:
            self._owner.metrics.sign_messages.labels(result="failed").inc()
            error = str(exc)
        await self.record("error" if error else "ok", error, health)

    async def _drive(self, sign: NtcipSign, caps: SignCapabilities,
                     health: SignHealth) -> tuple[str | None, SignHealth]:
        """Bring the sign to the panel's message: what stands in the way, in words, and the sign's health with
        what it shows now."""
        if self.mismatch:
            return "the sign does not match the profile: " + "; ".join(self.mismatch), health
        if health.local:
            return ("the sign is in local control: the engine leaves it alone until it is back in central "
                    "control"), health
        multi, crc = self.wanted, self.wanted_crc
        if multi is None or crc is None:
            return None, health
        if multi == self.refused:
            return self.state.get("error"), health
        problems = multi_problems(multi, caps)
        if problems:
            return "not sent: " + "; ".join(problems), health
        rows = sign.rows()
        duration = max(1, round(self.target.duration.total_seconds() / 60))
        if health.shows in (MessageId(MemoryType.CHANGEABLE, number, crc) for number in rows):
            if self.renewed_at is None or time.monotonic() - self.renewed_at >= duration * 30:
                await sign.activate(health.shows, duration)
                self.renewed_at = time.monotonic()
                self._owner.metrics.sign_messages.labels(result="renewed").inc()
            return None, health
        showing_first = health.shows.memory_type == MemoryType.CHANGEABLE and health.shows.number == rows[0]
        shows = await sign.send(multi, rows[1] if showing_first else rows[0], duration)
        self.renewed_at = time.monotonic()
        self._owner.metrics.sign_messages.labels(result="sent").inc()
        log.info("sign %s shows its panel's message (CRC %#06x)", self.panel.id, shows.crc)
        return None, dataclasses.replace(health, shows=shows, source="central")

    async def record(self, state: str, error: str | None, health: SignHealth | None = None) -> None:
        shows: MessageId | None = health.shows if health else None
        doc: dict[str, Any] = {
            "panel": self.panel.id, "address": f"{self.target.host}:{self.target.port}", "state": state,
            "error": error, "shows_crc": shows.crc if shows and shows.memory_type == MemoryType.CHANGEABLE else None,
            "expected_crc": self.wanted_crc,
            "capabilities": self.caps.to_json() if self.caps else self.state.get("capabilities"),
            **(health.to_json() if health else {k: self.state.get(k) for k in (
                "control", "faults", "brightness_pct", "temperatures", "source")}),
        }
        doc.pop("shows", None)
        now = datetime.now(UTC)
        changed = doc != {k: v for k, v in self.state.items() if k not in ("since", "checked_at")}
        if state != self.state.get("state"):
            doc["since"] = format_instant(now)
            if self.state:
                log.warning("sign %s is %s%s", self.panel.id, state, f": {error}" if error else "")
        else:
            doc["since"] = self.state.get("since")
        doc["checked_at"] = format_instant(now)
        due = time.monotonic() - self._owner.written.get(self.panel.id, -1e9) >= REWRITE_EVERY_S
        self.state = doc
        for name in STATES:
            self._owner.metrics.sign_state.labels(panel=self.panel.id, state=name).set(int(name == state))
        if changed or due:
            self._owner.written[self.panel.id] = time.monotonic()
            await self._owner.store.put(DEVICE_STATUS, self.panel.id, doc)


class NtcipSigns(PanelDevices[_Sign]):
    """Every panel with an ``ntcip`` block, driven from its panel's MULTI."""

    def __init__(self, config: Callable[[], Config], hub: Hub, store: Store, metrics: Metrics,
                 poll_s: float = 5.0, timeout_s: float = 2.0, retries: int = 2,
                 environ: Mapping[str, str] = os.environ) -> None:
        super().__init__("ntcip signs", config, hub)
        self.store = store
        self.metrics = metrics
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.retries = retries
        self.environ = environ
        self.engines = SnmpEngines()
        self.written: dict[str, float] = {}

    @property
    def signs(self) -> dict[str, _Sign]:
        return self.devices

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            self.engines.close()

    def selects(self, panel: Panel) -> bool:
        return panel.ntcip is not None

    def build(self, panel: Panel, profile: Profile) -> _Sign:
        assert panel.ntcip is not None
        return _Sign(panel, profile, panel.ntcip, self)

    async def forget(self, panel_id: str) -> None:
        await self.store.delete(DEVICE_STATUS, panel_id)

    async def offer(self, device: _Sign, content: Any) -> None:
        multi = content.get("multi") if isinstance(content, dict) else None
        if isinstance(multi, str):
            device.want(multi)
