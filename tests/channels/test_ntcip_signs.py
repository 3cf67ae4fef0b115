"""Real signs over NTCIP 1203: the engine drives simulated signs (SNMP agents on loopback, ``tests.ntcip_sign``)
the way a traffic management centre drives a street's signs, and reports their health."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from renderers.crc import message_crc
from renderers.ntcip_mib import (
    ActivateError,
    ControlMode,
    MemoryType,
    MessageActivation,
    MessageId,
    MessageStatus,
    SourceMode,
    column,
    scalar,
)
from signage.config import demo_config_path
from signage.settings import Settings
from tests.helpers import eventually, post_central_parking
from tests.ntcip_sign import ASCII, SignAgent, SimulatedSign


@dataclass
class Street:
    client: Any
    signs: dict[str, SimulatedSign]

    async def multi(self, panel: str = "darcy-sign") -> str:
        return str(await (await self.client.get(f"/api/v1/panels/{panel}/content?format=multi")).text())

    async def device(self, panel: str = "darcy-sign") -> dict[str, Any]:
        panels = (await (await self.client.get("/api/v1/panels")).json())["panels"]
        return dict(next(p for p in panels if p["id"] == panel)["device"])

    async def shows_the_panel(self, panel: str = "darcy-sign") -> bool:
        return self.signs[panel].shown_multi() == await self.multi(panel)

    async def multi_contains(self, text: str, panel: str = "darcy-sign") -> bool:
        return text in await self.multi(panel)

    def table_writes(self, panel: str = "darcy-sign") -> int:
        """MULTI strings written into the sign's message table so far."""
        head = column("dmsMessageMultiString")
        return sum(oid[:len(head)] == head for oid, _ in self.signs[panel].writes)


def _sign_panel(panel_id: str, port: int, **ntcip: Any) -> dict[str, Any]:
    return {"id": panel_id, "name": f"Panneau {panel_id}", "place": "Place Darcy", "lat": 47.3226, "lon": 5.0341,
            "zone": "dijon-centre", "profile": ntcip.pop("profile", "char-3x20"), "tags": ["parking", "centre"],
            "ntcip": {"address": f"127.0.0.1:{port}", **ntcip}}


@contextlib.asynccontextmanager
async def street(aiohttp_client: Any, tmp_path: Path, signs: dict[str, SimulatedSign],
                 v3: tuple[str, str, str, str, str] | None = None,
                 ntcip: Callable[[str], dict[str, Any]] = lambda _: {}) -> AsyncIterator[Street]:
    """The demo city plus one panel per simulated sign (each on an agent of its own), run by one engine."""
    from signage.web.app import create_app
    from signage.web.keys import ENGINE

    agents = []
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    for panel_id, sign in signs.items():
        agent = SignAgent(v3_user=v3)
        if v3 is None:
            agent.add("public", sign)
        else:
            agent.signs[""] = sign
        agents.append(agent)
        data["panels"].append(_sign_panel(panel_id, agent.start(), **ntcip(panel_id)))
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = Settings(config_path=path, role="all", redis_url=None, sqlite_path=str(tmp_path / "store.sqlite3"),
                        sign_poll_s=0.2, sign_timeout_s=0.3, sign_retries=1)
    try:
        client = await aiohttp_client(create_app(settings))
        await client.app[ENGINE].started.wait()
        yield Street(client, signs)
    finally:
        for agent in agents:
            agent.stop()


async def test_the_sign_shows_what_the_panel_says_and_follows_a_rule(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with street(aiohttp_client, tmp_path, {"darcy-sign": SimulatedSign()}) as city:
        await eventually(city.shows_the_panel, what="the panel's MULTI on the sign")
        device = await eventually(lambda: _synced(city))
        assert device["state"] == "ok" and device["shows_crc"] == message_crc(await city.multi())
        assert device["control"] == "central" and device["faults"] == []
        assert device["temperatures"]["ambient"] == [7, 12] and 0 < device["brightness_pct"] <= 100
        assert "address" not in device  # where a sign is on the network is for staff only
        sign = city.signs["darcy-sign"]
        activation = next(MessageActivation.decode(v) for oid, v in sign.writes
                          if oid == scalar("dmsActivateMessage") and isinstance(v, bytes))
        assert activation.duration_min == 10 and activation.memory_type == MemoryType.CHANGEABLE
        assert activation.source == "127.0.0.1"
        # The v03 lifecycle, in order: modifyReq, the message with its owner and priority, validateReq, activation.
        row = activation.number
        assert sign.writes[:6] == [
            (column("dmsMessageStatus", 3, row), 6),
            (column("dmsMessageMultiString", 3, row), sign.rows[row].multi),
            (column("dmsMessageOwner", 3, row), b"signage darcy-sign"),
            (column("dmsMessageRunTimePriority", 3, row), 255),
            (column("dmsMessageStatus", 3, row), 7),
            (scalar("dmsActivateMessage"), activation.encode())]

        written = city.table_writes()
        await post_central_parking(city.client, darcy=11)
        await eventually(lambda: _has(city, "Darcy 11"), what="the new count on the sign")
        assert await city.shows_the_panel()
        assert city.table_writes() == written + 1
        # Several polls later, with nothing new, nothing is written again.
        settled = city.table_writes()
        await eventually(lambda: _polled(sign, 5))
        assert city.table_writes() == settled
        # Half the duration later the activation is renewed (one SET), the message table left alone.
        from signage.web.keys import SIGNS

        activations = sum(oid == scalar("dmsActivateMessage") for oid, _ in sign.writes)
        city.client.app[SIGNS].signs["darcy-sign"].renewed_at = -1e9  # as if the last renewal were long ago
        await eventually(lambda: sum(oid == scalar("dmsActivateMessage") for oid, _ in sign.writes) > activations)
        assert city.table_writes() == settled and await city.shows_the_panel()


async def test_a_multi_syntax_error_the_sign_returns_is_reported(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ascii_only = SimulatedSign(glyphs=ASCII)  # its font has no "é": "Dijon Métropole" is refused
    async with street(aiohttp_client, tmp_path, {"darcy-sign": ascii_only}) as city:
        device = await eventually(lambda: _state(city, "error"))
        multi = await city.multi()
        position = multi.index("é")
        assert device["error"] == (f"dmsMultiSyntaxError.0: the sign refused the message (syntaxMULTI: "
                                   f"characterNotDefined at character {position})")
        assert ascii_only.shown_multi() is None  # nothing half-shown
        tried = city.table_writes()
        await eventually(lambda: _polled(ascii_only, 5))
        assert city.table_writes() == tried  # the refused message is not hammered at the sign


async def test_an_activation_the_sign_refuses_is_reported_with_its_reason(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    busy = SimulatedSign(refuse_activation=ActivateError.PRIORITY)
    async with street(aiohttp_client, tmp_path, {"darcy-sign": busy}) as city:
        device = await eventually(lambda: _state(city, "error"))
        crc = message_crc(await city.multi())
        assert device["error"] == (f"dmsActivateMsgError.0: the sign refused the message (priority, message 3.1 "
                                   f"CRC {crc:#06x})")
        assert busy.shown_multi() is None
        busy.refuse_activation = None  # the other message ends; the next change gets through
        await post_central_parking(city.client, darcy=21)
        await eventually(city.shows_the_panel)


async def test_what_the_sign_cannot_show_is_never_sent(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    short = SimulatedSign(max_multi_length=20)
    larger = SimulatedSign(sign_type=6, width_px=96, height_px=32, char_width_px=0, char_height_px=0)
    async with street(aiohttp_client, tmp_path, {"darcy-sign": short, "other-sign": larger}) as city:
        device = await eventually(lambda: _state(city, "error"))
        size = len((await city.multi()).encode("iso8859-15"))
        assert device["error"] == f"not sent: the message is {size} bytes; the sign takes at most 20"
        other = await eventually(lambda: _state(city, "error", "other-sign"))
        assert other["error"] == ("the sign does not match the profile: the sign is full-matrix, the profile "
                                  "'char-3x20' is character; the sign is 96×32 pixels, the profile 'char-3x20' 120×24")
        assert city.table_writes() == city.table_writes("other-sign") == 0


async def test_a_sign_in_local_control_is_reported_and_never_fought(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    local = SimulatedSign(control_mode=ControlMode.LOCAL, short_error=(1 << 13) | (1 << 5))
    async with street(aiohttp_client, tmp_path, {"darcy-sign": local}) as city:
        device = await eventually(lambda: _state(city, "error"))
        assert device["control"] == "local" and "local control" in device["error"]
        assert device["faults"] == ["pixel", "door open"]
        await eventually(lambda: _polled(local, 3))
        assert local.writes == []  # neither the message nor the control mode is touched
        local.control_mode = ControlMode.CENTRAL  # the technician hands it back
        await eventually(city.shows_the_panel, what="the message once the sign is central again")


async def test_an_unreachable_sign_is_marked_and_restored_with_the_current_message(  # type: ignore[no-untyped-def]
        aiohttp_client, tmp_path: Path) -> None:
    sign = SimulatedSign()
    async with street(aiohttp_client, tmp_path, {"darcy-sign": sign}) as city:
        await eventually(city.shows_the_panel)
        sign.answering = False
        device = await eventually(lambda: _state(city, "unreachable"))
        assert "did not answer" in device["error"]
        await post_central_parking(city.client, darcy=9)
        await eventually(lambda: city.multi_contains("Darcy 9"))
        sign.answering = True
        await eventually(city.shows_the_panel, what="the current message as soon as the sign answers")
        assert "Darcy 9" in str(sign.shown_multi())
        await eventually(lambda: _state(city, "ok"))


async def test_a_sign_falls_back_to_its_own_message_when_no_engine_renews_it(  # type: ignore[no-untyped-def]
        aiohttp_client, tmp_path: Path) -> None:
    sign = SimulatedSign(minute_s=0.5)  # a sign whose minutes pass quickly
    async with street(aiohttp_client, tmp_path, {"darcy-sign": sign},
                      ntcip=lambda _: {"duration": "1m"}) as city:
        await eventually(city.shows_the_panel)
        activation = MessageActivation.decode(next(
            v for oid, v in reversed(sign.writes) if oid == scalar("dmsActivateMessage") and isinstance(v, bytes)))
        assert activation.duration_min == 1
    # Every engine is gone: the duration runs out and the sign shows its end-of-duration message.
    await eventually(lambda: sign.shown_multi() is None, what="the sign's own message after the duration")
    assert sign.source_mode == SourceMode.END_DURATION


async def test_snmpv3_with_sha2_and_aes(aiohttp_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SIGN_AUTH", "auth-secret-1")
    monkeypatch.setenv("SIGN_PRIV", "priv-secret-1")
    monkeypatch.setenv("WRONG_AUTH", "not-the-key-1")
    user = ("signage", "SHA-256", "auth-secret-1", "AES-128", "priv-secret-1")
    keys = {"version": "3", "user": "signage", "auth_key_env": "SIGN_AUTH", "priv_key_env": "SIGN_PRIV"}
    async with street(aiohttp_client, tmp_path, {"darcy-sign": SimulatedSign(), "other-sign": SimulatedSign()},
                      v3=user, ntcip=lambda p: keys if p == "darcy-sign" else {**keys, "auth_key_env": "WRONG_AUTH"},
                      ) as city:
        await eventually(city.shows_the_panel, what="the message over SNMPv3 authPriv")
        other = await eventually(lambda: _state(city, "error", "other-sign"))
        assert "refused the request" in other["error"] and "not-the-key" not in other["error"]
        assert city.table_writes("other-sign") == 0


async def test_bad_answers_from_a_sign_are_device_errors_naming_the_object(  # type: ignore[no-untyped-def]
        aiohttp_client, tmp_path: Path) -> None:
    wrong_type = SimulatedSign(quirks={scalar("dmsControlMode"): b"central"})
    missing = SimulatedSign(quirks={scalar("dmsMaxMultiStringLength"): None})
    async with street(aiohttp_client, tmp_path, {"darcy-sign": wrong_type, "other-sign": missing}) as city:
        device = await eventually(lambda: _state(city, "error"))
        assert device["error"] == "dmsControlMode.0: the sign answered a string where a number is expected"
        other = await eventually(lambda: _state(city, "error", "other-sign"))
        assert other["error"] == "dmsMaxMultiStringLength.0: the sign does not have this object"
        # A firmware that computes another CRC than the standard's: caught before activation.
        wrong_type.quirks.clear()
        wrong_crc = column("dmsMessageCRC", 3, 1)
        wrong_type.quirks[wrong_crc] = 0x1234
        device = await eventually(lambda: _error_about(city, "dmsMessageCRC"))
        expected = message_crc(await city.multi())
        assert device["error"] == f"dmsMessageCRC.3.1: the sign computed CRC 0x1234, the engine {expected:#06x}"
        assert wrong_type.shown_multi() is None  # never activated
        wrong_type.quirks.clear()
        await eventually(city.shows_the_panel, what="the message once the sign answers properly")
        assert (await city.client.get("/healthz")).status == 200  # nothing crashed


async def _error_about(city: Street, name: str) -> dict[str, Any] | None:
    device = await city.device()
    return device if name in str(device["error"]) else None


async def _synced(city: Street) -> dict[str, Any] | None:
    """The device as reported once it says the sign shows what the engine expects."""
    device = await city.device()
    return device if device["shows_crc"] is not None and device["shows_crc"] == device["expected_crc"] else None


async def _state(city: Street, state: str, panel: str = "darcy-sign") -> dict[str, Any] | None:
    device = await city.device(panel)
    return device if device["state"] == state else None


async def _has(city: Street, text: str) -> bool:
    return text in str(city.signs["darcy-sign"].shown_multi())


def _polled(sign: SimulatedSign, times: int) -> Callable[[], bool]:
    """Becomes true once the engine has asked the sign for its status ``times`` more times."""
    start = sign.reads[scalar("dmsControlMode")]
    return lambda: sign.reads[scalar("dmsControlMode")] >= start + times


async def test_an_installer_probes_a_sign_from_the_command_line(tmp_path: Path) -> None:
    import asyncio
    import os
    import sys

    sign = SimulatedSign(short_error=1 << 2)
    agent = SignAgent()
    agent.add("city-community", sign)
    port = agent.start()
    sign.rows[2].multi, sign.rows[2].status = b"[jl3]TRAVAUX", MessageStatus.VALID
    sign.source = MessageId(3, 2, message_crc("[jl3]TRAVAUX"))
    env = {**os.environ, "SIGN_COMMUNITY": "city-community"}

    async def run(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "signage", "ntcip", "probe", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        return int(process.returncode or 0), out.decode(), err.decode()

    try:
        code, out, _ = await run(f"127.0.0.1:{port}", "--community-env", "SIGN_COMMUNITY")
        assert code == 0
        assert "character-matrix, 120×24 pixels, 3 lines of 20 characters" in out
        assert "faults:        power" in out and "control:       central" in out
        assert "MULTI:         '[jl3]TRAVAUX'" in out and "message 3.2" in out
        code, _, err = await run(f"127.0.0.1:{port}", "--timeout", "0.2")  # the wrong community: no answer
        assert code == 1 and "did not answer" in err
        code, _, err = await run(f"127.0.0.1:{port}", "--community-env", "NOT_SET_ANYWHERE")
        assert code == 1 and "NOT_SET_ANYWHERE is not set" in err
    finally:
        agent.stop()


async def test_the_control_room_shows_each_signs_health(aiohttp_client, tmp_path: Path, browser, screenshots) -> None:  # type: ignore[no-untyped-def]
    from signage.web.keys import STAFF
    from tests.helpers import assert_accessible, until

    healthy = SimulatedSign()
    local = SimulatedSign(control_mode=ControlMode.LOCAL, short_error=1 << 13)
    async with street(aiohttp_client, tmp_path, {"darcy-sign": healthy, "other-sign": local}) as city:
        await eventually(city.shows_the_panel)
        await eventually(lambda: _state(city, "error", "other-sign"))
        await city.client.app[STAFF].add("operatrice", "viewer", "correct horse battery")
        base = str(city.client.make_url("")).rstrip("/").replace("127.0.0.1", "localhost")
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page = await context.new_page()
        await page.goto(base + "/admin/login")
        await page.fill("#username", "operatrice")
        await page.fill("#password", "correct horse battery")
        await page.click("button[type=submit]")
        await page.wait_for_url(base + "/admin")
        ok = await page.inner_text("tr[data-panel=darcy-sign] .device")
        assert ok == "panneau physique : ok"
        refused = await page.inner_text("tr[data-panel=other-sign] .device")
        assert "panneau physique : en erreur · défauts : porte ouverte" in refused
        assert "commande locale" in refused
        assert "1 panneau(x) physique(s) en défaut" in await page.inner_text(".summary")
        await assert_accessible(page)
        await page.screenshot(path=str(screenshots / "control-room-signs.png"), full_page=True)
        # The sign becomes unreachable: the row says so without a reload.
        healthy.answering = False
        await until(page, "document.querySelector('tr[data-panel=darcy-sign] .device').innerText"
                          ".includes('injoignable')")
        assert "ne répond pas" in await page.inner_text("tr[data-panel=darcy-sign] .status")
        await page.goto(base + "/admin/panels/other-sign")
        facts = await page.inner_text("#device")
        assert "locale" in facts and "porte ouverte" in facts and "120×24 pixels" in facts
        assert "127.0.0.1:" in facts  # staff see where the sign is; the public API does not say
        await assert_accessible(page)
        await context.close()
