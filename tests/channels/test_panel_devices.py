"""Panels as devices: their own tokens, polls that mark them online, a stream that pushes content, receipts as
proof of display, and drift between what was sent and what is shown."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from signage.cli import main
from signage.store.sqlite import SqliteStore
from signage.tokens import PanelTokens
from signage.web.keys import PANEL_STATUS, PANEL_TOKENS
from tests.helpers import eventually, next_frame, post_central_parking


async def panel_status(client, panel: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    panels = (await (await client.get("/api/v1/panels")).json())["panels"]
    return dict(next(p for p in panels if p["id"] == panel)["status"])


async def test_a_panel_polling_with_its_token_is_online_and_a_wrong_token_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    token = await client.app[PANEL_TOKENS].issue("republique")
    assert (await panel_status(client, "republique"))["online"] is False
    viewer = await client.get("/api/v1/panels/republique/content")  # anyone may look: it is public
    assert viewer.status == 200
    assert (await panel_status(client, "republique"))["online"] is False  # a viewer is not the panel
    panel = await client.get("/api/v1/panels/republique/content", headers={"Authorization": f"Bearer {token}"})
    assert panel.status == 200
    status = await panel_status(client, "republique")
    assert status["online"] is True and status["via"] == "poll"
    wrong = await client.get("/api/v1/panels/republique/content", headers={"Authorization": "Bearer pt_nope"})
    assert wrong.status == 401 and (await wrong.json())["error"]["code"] == "bad_token"
    other = await client.get("/api/v1/panels/darcy/content", headers={"Authorization": f"Bearer {token}"})
    assert other.status == 401  # a token is one panel's only
    client.app[PANEL_STATUS].offline_after_s = 0.05

    async def offline() -> bool:  # not seen lately: offline
        return (await panel_status(client, "republique"))["online"] is False

    await eventually(offline)


async def test_receipts_prove_what_is_shown_and_flag_drift(client) -> None:  # type: ignore[no-untyped-def]
    token = await client.app[PANEL_TOKENS].issue("darcy")
    auth = {"Authorization": f"Bearer {token}"}
    refused = await client.post("/api/v1/panels/darcy/receipts", json={"etag": "x"})
    assert refused.status == 401 and (await refused.json())["error"]["code"] == "token_required"
    first = await (await client.get("/api/v1/panels/darcy/content")).json()
    shown = await client.post("/api/v1/panels/darcy/receipts", json={"etag": first["etag"]}, headers=auth)
    assert (await shown.json()) == {"state": "shown", "drift": False, "expected": first["etag"]}
    await post_central_parking(client, darcy=13)
    async def changed() -> bool:
        return bool((await (await client.get("/api/v1/panels/darcy/content")).json())["etag"] != first["etag"])

    await eventually(changed)
    # The panel still shows the old content: in flight at first, drift once the grace time has passed.
    late = await client.post("/api/v1/panels/darcy/receipts", json={"etag": first["etag"]}, headers=auth)
    assert (await late.json())["state"] == "in_flight"
    client.app[PANEL_STATUS].grace_s = 0.0
    stale = await (await client.post("/api/v1/panels/darcy/receipts", json={"etag": first["etag"]},
                                     headers=auth)).json()
    now_shown = (await (await client.get("/api/v1/panels/darcy/content")).json())["etag"]
    assert stale == {"state": "drift", "drift": True, "expected": now_shown}
    status = await panel_status(client, "darcy")
    assert status["drift"] is True and status["last_receipt"]["etag"] == first["etag"]
    bad = await client.post("/api/v1/panels/darcy/receipts", json={"nope": 1}, headers=auth)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_receipt"


async def test_the_panel_stream_pushes_content_and_takes_heartbeats_and_receipts(client) -> None:  # type: ignore[no-untyped-def]
    token = await client.app[PANEL_TOKENS].issue("darcy")
    assert (await client.get("/api/v1/panels/darcy/stream")).status == 401
    ws = await client.ws_connect(f"/api/v1/panels/darcy/stream?format=multi&token={token}")
    first = await next_frame(ws, lambda f: f["type"] == "content")
    assert first["format"] == "multi" and first["content"].startswith("[jl3]")
    await post_central_parking(client, darcy=14)
    # Three car parks are delivered one after the other: wait for the content that shows all three.
    changed = await next_frame(ws, lambda f: f["type"] == "content" and "14" in f["content"]
                               and "Grangier 200" in f["content"], timeout=10)
    assert changed["etag"] != first["etag"]
    await ws.send_json({"type": "heartbeat"})
    assert (await next_frame(ws, lambda f: f["type"] == "heartbeat"))["type"] == "heartbeat"
    await ws.send_json({"type": "receipt", "etag": changed["etag"]})
    receipt = await next_frame(ws, lambda f: f["type"] == "receipt")
    assert receipt["state"] == "shown"
    status = await panel_status(client, "darcy")
    assert status["online"] is True and status["via"] == "stream"
    await ws.close()


def test_tokens_are_issued_rotated_and_revoked_from_the_command_line(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "store.sqlite3"

    def valid(*tokens: str) -> list[bool]:
        async def check() -> list[bool]:
            store = SqliteStore(str(path))
            try:
                return [await PanelTokens(store).check("darcy", t) is not None for t in tokens]
            finally:
                await store.close()

        return asyncio.run(check())

    def issue(*extra: str) -> str:
        assert main(["panels", "token", "darcy", *extra]) == 0
        return capsys.readouterr().out.strip()

    os.environ["SIGNAGE_SQLITE_PATH"] = str(path)
    try:
        first = issue()
        second = issue("--keep-previous")
        assert valid(first, second) == [True, True]  # rotation with overlap
        assert first not in path.read_bytes().decode("utf-8", "replace")  # only digests are stored
        third = issue()
        assert valid(first, second, third) == [False, False, True]
        assert main(["panels", "revoke", "darcy"]) == 0
        assert valid(third) == [False]
        assert main(["panels", "token", "nowhere"]) == 2
    finally:
        del os.environ["SIGNAGE_SQLITE_PATH"]
