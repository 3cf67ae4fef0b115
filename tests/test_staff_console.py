"""Staff accounts and the console's sign-in: memory-hard password hashes, session cookies that scripts and
other sites cannot use, CSRF on every form, limited login attempts, API tokens with roles, escaped pages."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from signage.cli import main
from signage.demo.payloads import cap_alert
from signage.passwords import PasswordProblem, hash_password, verify_password
from signage.web.keys import STAFF, STORE
from tests.helpers import eventually, feed_auth

PASSWORD = "correct horse battery"


def test_passwords_are_scrypt_hashes_that_verify_and_refuse() -> None:
    encoded = hash_password(PASSWORD)
    scheme, n, r, p, _salt, _digest = encoded.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**16, 8, 1)  # 64 MiB per try
    assert verify_password(PASSWORD, encoded) and not verify_password("correct horse batterY", encoded)
    assert hash_password(PASSWORD) != encoded  # salted
    with pytest.raises(PasswordProblem):
        hash_password("short")
    assert not verify_password(PASSWORD, "not-a-hash")


def session_cookie(response: Any) -> tuple[str, str]:
    header = next(v for k, v in response.headers.items()
                  if k.lower() == "set-cookie" and v.startswith("signage_session="))
    return header.split(";", 1)[0].split("=", 1)[1], header


async def sign_in(client: Any, username: str, password: str = PASSWORD, **headers: str) -> Any:
    """Sign in as a browser does: fetch the form (its CSRF token in a field and a cookie), then post it."""
    form = await client.get("/admin/login")
    token = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    cookie = f"signage_login={form.cookies['signage_login'].value}"
    return await client.post("/admin/login", data={"username": username, "password": password, "csrf": token},
                             allow_redirects=False, headers={"Cookie": cookie, **headers})


async def test_sign_in_sets_a_cookie_scripts_and_other_sites_cannot_use(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("camille", "viewer", PASSWORD)
    assert (await client.get("/admin", allow_redirects=False)).headers["Location"] == "/admin/login"
    wrong = await sign_in(client, "camille", "wrong password here")
    assert wrong.status == 401 and "incorrect" in await wrong.text()
    right = await sign_in(client, "camille")
    assert right.status == 303 and right.headers["Location"] == "/admin"
    token, header = session_cookie(right)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    page = await client.get("/admin", headers={"Cookie": f"signage_session={token}"})
    assert page.status == 200 and "Salle de contrôle" in await page.text()
    assert page.headers["X-Frame-Options"] == "DENY"
    audit = await client.app[STORE].audit(10)
    assert [e["action"] for e in audit][:2] == ["staff.login", "staff.login.failed"]
    cross = await sign_in(client, "camille", Origin="https://evil.example")
    assert cross.status == 403


async def test_the_sign_in_form_needs_its_own_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("celine", "viewer", PASSWORD)
    credentials = {"username": "celine", "password": PASSWORD}
    bare = await client.post("/admin/login", data=credentials, allow_redirects=False)
    assert bare.status == 403 and "expiré" in await bare.text()
    assert not any(v.startswith("signage_session=") for v in bare.headers.getall("Set-Cookie", []))
    form = await client.get("/admin/login")
    token = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    other = await client.get("/admin/login")  # another browser's cookie does not go with this form
    mixed = await client.post("/admin/login", data={**credentials, "csrf": token}, allow_redirects=False,
                              headers={"Cookie": f"signage_login={other.cookies['signage_login'].value}"})
    assert mixed.status == 403
    assert (await sign_in(client, "celine")).status == 303


async def test_forms_need_the_sessions_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("dominique", "editor", PASSWORD)
    token, _ = session_cookie(await sign_in(client, "dominique"))
    cookie = {"Cookie": f"signage_session={token}"}
    forged = await client.post("/admin/logout", data={}, headers=cookie, allow_redirects=False)
    assert forged.status == 403 and (await forged.json())["error"]["code"] == "bad_csrf"
    assert (await client.get("/admin", headers=cookie)).status == 200  # still signed in
    page = await (await client.get("/admin", headers=cookie)).text()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    out = await client.post("/admin/logout", data={"csrf": csrf}, headers=cookie, allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/admin", headers=cookie, allow_redirects=False)).status == 303  # signed out


async def test_login_attempts_are_slowed(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("eve", "viewer", PASSWORD)
    for _ in range(3):  # a few mistypes are free
        assert (await sign_in(client, "eve", "not the password!")).status == 401
    blocked = await sign_in(client, "eve")  # then even the right password waits, a little longer each time
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0


async def test_api_tokens_carry_roles(client) -> None:  # type: ignore[no-untyped-def]
    staff = client.app[STAFF]
    await staff.add("fanny", "viewer", PASSWORD)
    await staff.add("gilles", "admin", PASSWORD)
    viewer, admin = await staff.issue_token("fanny"), await staff.issue_token("gilles")
    me = await client.get("/api/v1/admin/whoami", headers={"Authorization": f"Bearer {viewer}"})
    assert await me.json() == {"username": "fanny", "role": "viewer"}
    assert (await client.get("/api/v1/admin/accounts", headers={"Authorization": f"Bearer {viewer}"})).status == 403
    listed = await client.get("/api/v1/admin/accounts", headers={"Authorization": f"Bearer {admin}"})
    assert {a["username"] for a in (await listed.json())["accounts"]} >= {"fanny", "gilles"}
    assert "password" not in await listed.text()
    assert (await client.get("/api/v1/admin/whoami")).status == 401


async def test_the_control_room_escapes_what_feeds_say(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("hugo", "viewer", PASSWORD)
    token, _ = session_cookie(await sign_in(client, "hugo"))
    now = datetime.now(UTC)
    hostile = cap_alert("X9", now, now + timedelta(hours=1), headline_fr='<script>alert(1)</script>Tempête')
    assert (await client.post("/feeds/cap", data=hostile, headers=await feed_auth(client, "cap"))).status == 202
    for _ in range(100):
        page = await (await client.get("/admin", headers={"Cookie": f"signage_session={token}"})).text()
        if "Tempête" in page:
            break
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_staff_accounts_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["SIGNAGE_SQLITE_PATH"] = str(tmp_path / "s.sqlite3")
    os.environ["SIGNAGE_STAFF_PASSWORD"] = PASSWORD
    try:
        assert main(["staff", "add", "ines", "--role", "approver"]) == 0
        assert main(["staff", "list"]) == 0
        assert "ines\tapprover" in capsys.readouterr().out
        assert main(["staff", "token", "ines"]) == 0
        assert capsys.readouterr().out.startswith("st_")
        os.environ["SIGNAGE_STAFF_PASSWORD"] = "short"
        assert main(["staff", "add", "jo", "--role", "viewer"]) == 2
        assert "at least 12 characters" in capsys.readouterr().err
    finally:
        del os.environ["SIGNAGE_SQLITE_PATH"], os.environ["SIGNAGE_STAFF_PASSWORD"]


async def test_a_template_preview_shows_every_sign_and_warns_where_it_does_not_fit(client) -> None:  # type: ignore[no-untyped-def]
    staff = client.app[STAFF]
    await staff.add("karim", "editor", PASSWORD)
    await staff.add("lou", "viewer", PASSWORD)
    editor, viewer = await staff.issue_token("karim"), await staff.issue_token("lou")
    body = {"template": {"fr": {"title": "Marché de Noël", "lines": ["Place {{ place }}", "jusqu'au {{ end }}"]},
                         "pictogram": "warning"},
            "params": {"place": "François Rude", "end": "31/12"}}
    answer = await client.post("/api/v1/admin/preview", json=body, headers={"Authorization": f"Bearer {editor}"})
    assert answer.status == 200
    preview = await answer.json()
    assert preview["lines"] == ["Place François Rude", "jusqu'au 31/12"]
    assert preview["signs"]["char-3x20"]["fits"] is True
    assert preview["signs"]["full-96x32-amber"]["multi"].startswith("[g2,")
    assert preview["signs"]["full-96x32-amber"]["png"].startswith("data:image/png;base64,")
    long = {"template": {"fr": {"title": "x", "lines": ["Anticonstitutionnellement"]}}}
    warned = await (await client.post("/api/v1/admin/preview", json=long,
                                      headers={"Authorization": f"Bearer {editor}"})).json()
    assert warned["signs"]["char-3x20"] == {
        "channel": "led", "fits": False,
        "warning": "the word 'Anticonstitutionnellement' is 25 characters wide; a line of char-3x20 holds 20",
        "code": "word_too_wide", "word": "Anticonstitutionnellement", "width": 25, "unit": "characters", "room": 20}
    assert (await client.post("/api/v1/admin/preview", json=body,
                              headers={"Authorization": f"Bearer {viewer}"})).status == 403


async def test_template_injection_is_refused_not_run(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("mona", "editor", PASSWORD)
    token = await client.app[STAFF].issue_token("mona")
    for attack in ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ cycler.__init__.__globals__.os }}",
                   "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}"):
        # In the language's lines, and in channel variants (the MULTI pattern has its own environment).
        for variant in ({"title": "x", "lines": [attack]}, {"title": "x", "lines": [], "multi": attack},
                        {"title": "x", "lines": [], "push": {"body": attack}}):
            body = {"template": {"fr": variant}}
            answer = await client.post("/api/v1/admin/preview", json=body,
                                       headers={"Authorization": f"Bearer {token}"})
            text = await answer.text()
            assert answer.status == 400, (attack, variant)  # refused by the sandbox…
            assert (await answer.json())["error"]["code"] == "bad_template"
            assert "<class" not in text and "os" not in text.split('"message"')[0]  # …and nothing was run


async def test_a_browser_session_needs_its_csrf_token_to_preview(client) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("nina", "editor", PASSWORD)
    token, _ = session_cookie(await sign_in(client, "nina"))
    cookie = {"Cookie": f"signage_session={token}"}
    body = {"template": {"fr": {"title": "x", "lines": ["y"]}}}
    assert (await client.post("/api/v1/admin/preview", json=body, headers=cookie)).status == 403
    page = await (await client.get("/admin", headers=cookie)).text()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    ok = await client.post("/api/v1/admin/preview", json=body, headers={**cookie, "X-CSRF-Token": csrf})
    assert ok.status == 200


async def test_a_broadcast_shows_on_its_zone_within_a_second_and_stop_clears_it(client) -> None:  # type: ignore[no-untyped-def]

    staff = client.app[STAFF]
    await staff.add("olga", "editor", PASSWORD)
    await staff.add("paul", "viewer", PASSWORD)
    editor = {"Authorization": f"Bearer {await staff.issue_token('olga')}"}
    body = {"title": "Marché de Noël", "lines": ["Place François Rude", "jusqu'au 31/12"],
            "targets": {"zones": ["dijon-centre"]}, "priority": 60}
    viewer = {"Authorization": f"Bearer {await staff.issue_token('paul')}"}
    assert (await client.post("/api/v1/admin/broadcasts", json=body, headers=viewer)).status == 403
    answer = await client.post("/api/v1/admin/broadcasts", json=body, headers=editor)
    assert answer.status == 201
    message_id = (await answer.json())["id"]

    async def darcy_shows(text: str, present: bool = True) -> bool:
        return (text in await (await client.get("/api/v1/panels/darcy/content?format=multi")).text()) == present

    await eventually(lambda: darcy_shows("Place François Rude"))
    content = await (await client.get("/api/v1/panels/darcy/content")).json()
    assert content["lane"] == "operator"
    assert (await client.delete(f"/api/v1/admin/broadcasts/{message_id}", headers=editor)).status == 204
    await eventually(lambda: darcy_shows("Place François Rude", present=False))  # stopped everywhere
    actions = [entry["action"] for entry in await client.app[STORE].audit(10)]
    assert actions[:2] == ["broadcast.stop", "broadcast.start"]
    bad = await client.post("/api/v1/admin/broadcasts", json={"title": "x", "targets": {"zones": ["mars"]}},
                            headers=editor)
    error = (await bad.json())["error"]
    assert bad.status == 400 and "unknown mars" in error["message"] and error["field"] == "targets"


async def test_a_broadcast_is_previewed_sign_by_sign_and_one_a_sign_cannot_hold_leaves_it_as_it_was(client) -> None:  # type: ignore[no-untyped-def]
    staff = client.app[STAFF]
    await staff.add("rita", "editor", PASSWORD)
    editor = {"Authorization": f"Bearer {await staff.issue_token('rita')}"}
    body = {"title": "Anticonstitutionnellement", "lines": ["Conférence"], "targets": {"zones": ["dijon"]}}
    preview = await client.post("/api/v1/admin/broadcasts/preview", json=body, headers=editor)
    assert preview.status == 200, await preview.text()
    signs = {sign["panel"]: sign for sign in (await preview.json())["signs"]}
    assert set(signs) == {"darcy", "republique", "gare", "toison-dor", "chu", "campus"}
    for panel in ("darcy", "chu"):  # 20-character signs: the word is 25
        assert not signs[panel]["fits"] and "png" not in signs[panel]
        assert (signs[panel]["code"], signs[panel]["width"], signs[panel]["room"]) == ("word_too_wide", 25, 20)
    assert (signs["republique"]["unit"], signs["republique"]["room"]) == ("pixels", 96)  # 125 pixels in its font
    for panel in ("toison-dor", "gare", "campus"):
        assert signs[panel]["fits"] and signs[panel]["png"].startswith("data:image/png;base64,")
    assert (await client.get("/api/v1/admin/broadcasts")).status == 401  # nothing was sent, and it is staff's

    async def multi(panel: str) -> str:
        return str(await (await client.get(f"/api/v1/panels/{panel}/content?format=multi")).text())

    chu_before = await eventually(lambda: multi("chu"))
    answer = await client.post("/api/v1/admin/broadcasts", json=body, headers=editor)
    assert answer.status == 201
    message_id = (await answer.json())["id"]

    async def states() -> dict[str, Any] | None:
        [listed] = (await (await client.get("/api/v1/admin/broadcasts", headers=editor)).json())["broadcasts"]
        by_panel = {sign["panel"]: sign for sign in listed["signs"]}
        return by_panel if all(s["state"] != "pending" for s in by_panel.values()) else None

    by_panel = await eventually(states, what="every sign's state")
    assert by_panel["toison-dor"]["state"] == "shown" and by_panel["campus"]["state"] == "shown"
    assert by_panel["chu"]["state"] == "unfit" and by_panel["chu"]["keeps"] == "default"
    assert by_panel["chu"]["word"] == "Anticonstitutionnellement"
    assert await multi("chu") == chu_before != ""  # the sign was never blanked
    assert "Anticonstitutionnellement" in await multi("toison-dor")
    await client.delete(f"/api/v1/admin/broadcasts/{message_id}", headers=editor)


async def test_an_emergency_pre_empts_its_zone_is_published_as_cap_and_can_be_cancelled(client) -> None:  # type: ignore[no-untyped-def]

    from tests.renderers.test_cap_out import assert_valid_cap

    staff = client.app[STAFF]
    await staff.add("quentin", "approver", PASSWORD)
    await staff.add("rose", "editor", PASSWORD)
    approver = {"Authorization": f"Bearer {await staff.issue_token('quentin')}"}
    editor = {"Authorization": f"Bearer {await staff.issue_token('rose')}"}
    body = {"headline": {"fr": "Évacuation quai Nicolas Rolin", "en": "Evacuation of quai Nicolas Rolin"},
            "instruction": {"fr": "Montez dans les étages"}, "zones": ["dijon-centre"], "severity": "extreme",
            "event": "Crue"}
    assert (await client.post("/api/v1/admin/emergency", json=body, headers=editor)).status == 403
    answer = await client.post("/api/v1/admin/emergency", json=body, headers=approver)
    assert answer.status == 201
    issued = await answer.json()

    async def darcy_lane(lane: str) -> bool:
        return bool((await (await client.get("/api/v1/panels/darcy/content")).json())["lane"] == lane)

    await eventually(lambda: darcy_lane("alert"))  # pre-empts the panels of its zone
    cap = await client.get(issued["cap"])
    assert cap.status == 200
    document = await cap.read()
    assert_valid_cap(document)
    assert "<instruction>Montez dans les étages</instruction>" in document.decode()
    atom = await (await client.get("/api/v1/open/alerts.atom")).text()
    assert "Évacuation quai Nicolas Rolin" in atom
    assert (await client.delete(f"/api/v1/admin/emergency/{issued['id']}", headers=approver)).status == 204
    await eventually(lambda: darcy_lane("default"))  # cancelled: back to what it showed before
    entries = (await (await client.get("/api/v1/admin/audit?q=emergency", headers=approver)).json())["entries"]
    assert [e["action"] for e in entries][:2] == ["emergency.cancel", "emergency.issue"]
    assert (await client.get("/api/v1/admin/audit", headers=editor)).status == 403


async def test_template_versions_change_the_street_only_when_another_approver_publishes(client) -> None:  # type: ignore[no-untyped-def]

    from tests.helpers import post_central_parking

    staff = client.app[STAFF]
    await staff.add("sam", "approver", PASSWORD)
    await staff.add("tom", "approver", PASSWORD)
    sam = {"Authorization": f"Bearer {await staff.issue_token('sam')}"}
    tom = {"Authorization": f"Bearer {await staff.issue_token('tom')}"}
    await post_central_parking(client, darcy=21)

    async def darcy_says(text: str) -> bool:
        return text in await (await client.get("/api/v1/panels/darcy/content?format=multi")).text()

    await eventually(lambda: darcy_says("Darcy 21 pl"))
    base = "/api/v1/admin/templates/parking-guidance/versions"
    lines = ["{{ a_name }}: {{ a_free }}", "{{ b_name }}: {{ b_free }}", "{{ c_name }}: {{ c_free }}"]
    draft = await client.post(base, json={"variants": {"fr": {"title": "Parkings", "lines": lines}}}, headers=sam)
    assert draft.status == 201 and (await draft.json())["state"] == "draft"
    await post_central_parking(client, darcy=22)  # the street is rendered again after the draft was written…
    await eventually(lambda: darcy_says("Darcy 22 pl"))  # …in the published form: a draft changes nothing
    assert (await client.post(f"{base}/1/approve", headers=tom)).status == 409  # not submitted yet
    assert (await (await client.post(f"{base}/1/submit", headers=sam)).json())["state"] == "review"
    own = await client.post(f"{base}/1/approve", headers=sam)
    assert own.status == 403 and "another approver" in (await own.json())["error"]["message"]
    published = await client.post(f"{base}/1/approve", headers=tom)
    assert (await published.json())["state"] == "published"
    await eventually(lambda: darcy_says("Darcy: 22"))  # now the street shows it
    second = await client.post(base, json={"variants": {"fr": {"title": "P",
                                                                "lines": ["{{ a_name }} -> {{ a_free }}"]}}},
                               headers=tom)
    await client.post(f"{base}/{(await second.json())['number']}/submit", headers=tom)
    await client.post(f"{base}/{(await second.json())['number']}/approve", headers=sam)
    await eventually(lambda: darcy_says("Darcy -> 22"))
    back = await client.post("/api/v1/admin/templates/parking-guidance/rollback", json={"version": 1}, headers=sam)
    assert back.status == 201
    await eventually(lambda: darcy_says("Darcy: 22"))  # rolled back
    states = [v["state"] for v in (await (await client.get(base, headers=tom)).json())["versions"]]
    assert states == ["superseded", "superseded", "published"]
    actions = [e["action"] for e in await client.app[STORE].audit(20) if e["action"].startswith("template.")]
    assert {"template.draft", "template.submit", "template.approve", "template.rollback"} <= set(actions)


async def test_a_scheduled_broadcast_waits_for_its_start_and_is_listed_until_it_ends(client) -> None:  # type: ignore[no-untyped-def]

    staff = client.app[STAFF]
    await staff.add("ugo", "editor", PASSWORD)
    editor = {"Authorization": f"Bearer {await staff.issue_token('ugo')}"}
    starts = datetime.now(UTC) + timedelta(seconds=3)
    on_city_clocks = starts.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)  # as staff type it
    body = {"title": "Concert", "lines": ["Place de la Libération"], "targets": {"tags": ["tram"]},
            "starts_at": on_city_clocks.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}
    answer = await client.post("/api/v1/admin/broadcasts", json=body, headers=editor)
    assert answer.status == 201, await answer.text()
    listed = (await (await client.get("/api/v1/admin/broadcasts", headers=editor)).json())["broadcasts"]
    assert [(b["params"]["title"], b["scheduled"], b["by"]) for b in listed] == [("Concert", True, "ugo")]

    async def chu_shows(text: str) -> bool:  # the CHU panel is tagged tram
        return text in await (await client.get("/api/v1/panels/chu/content?format=multi")).text()

    async def to_come() -> Any:  # its "why" says what is to come: the engine has it
        return [m["source"] for m in (await (await client.get("/api/v1/panels/chu/explain")).json())["scheduled"]]

    assert await eventually(to_come) == ["console:ugo"]
    assert datetime.now(UTC) < starts and not await chu_shows("Concert")  # known, and waiting for its start
    await eventually(lambda: chu_shows("Concert"))
    assert datetime.now(UTC) >= starts
    listed = (await (await client.get("/api/v1/admin/broadcasts", headers=editor)).json())["broadcasts"]
    assert [b["scheduled"] for b in listed] == [False]
    for wrong, reason in (({**body, "targets": {"tags": ["tarm"]}}, "unknown tarm"),
                          ({**body, "ends_at": starts.isoformat(), "starts_at": None}, "after the start"),
                          ({**body, "starts_at": "demain"}, "starts_at: an ISO 8601 instant")):
        refused = await client.post("/api/v1/admin/broadcasts", json=wrong, headers=editor)
        assert refused.status == 400 and reason in (await refused.json())["error"]["message"]


async def test_channel_variants_are_versioned_and_a_malformed_one_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    staff = client.app[STAFF]
    await staff.add("vera", "editor", PASSWORD)
    editor = {"Authorization": f"Bearer {await staff.issue_token('vera')}"}
    base = "/api/v1/admin/templates/parking-single/versions"
    variant = {"title": "{{ name }}", "lines": ["{{ free }} places"], "multi": "[jl3]{{ name | upper }}",
               "push": {"title": "{{ name }} : {{ free }} places"}, "cap": {"instruction": "Rien à faire"}}
    saved = await client.post(base, json={"variants": {"fr": variant}}, headers=editor)
    assert saved.status == 201
    assert (await saved.json())["spec"]["variants"]["fr"]["push"] == {"title": "{{ name }} : {{ free }} places"}
    bad = await client.post(base, json={"variants": {"fr": {**variant, "sms": {"body": "x"}}}}, headers=editor)
    assert bad.status == 400 and "unknown sms" in (await bad.json())["error"]["message"]
    preview = await (await client.post("/api/v1/admin/preview", headers=editor, json={
        "template": {"fr": variant}, "params": {"name": "Darcy", "free": 42}})).json()
    assert preview["signs"]["char-3x20"]["channel"] == "multi"
    assert preview["signs"]["char-3x20"]["multi"] == "[jl3]DARCY"
    assert preview["signs"]["full-96x32-amber"]["channel"] == "pixel"  # pixel panels keep their own lines
    assert preview["phone"]["title"] == "Darcy : 42 places" and preview["phone"]["body"] == "42 places"
    assert "<instruction>Rien à faire</instruction>" in preview["cap"]


async def test_console_pages_need_their_roles_and_admins_manage_accounts(client) -> None:  # type: ignore[no-untyped-def]
    staff = client.app[STAFF]
    await staff.add("wanda", "admin", PASSWORD)
    await staff.add("xavier", "viewer", PASSWORD)
    viewer = await sign_in(client, "xavier")
    cookie = {"Cookie": f"signage_session={viewer.cookies['signage_session'].value}"}
    for path, allowed in (("/admin", 200), ("/admin/panels/darcy", 200), ("/admin/templates", 403),
                          ("/admin/broadcast", 403), ("/admin/emergency", 403), ("/admin/audit", 403),
                          ("/admin/accounts", 403)):
        assert (await client.get(path, headers=cookie, allow_redirects=False)).status == allowed, path
    refused_page = await client.get("/admin/audit", headers=cookie)  # a page in words, not JSON
    assert refused_page.content_type == "text/html"
    assert "demande le rôle « relecture » ; votre compte a le rôle « lecteur »" in await refused_page.text()
    assert (await client.get("/admin/audit", allow_redirects=False)).status == 303  # not signed in
    admin = {"Authorization": f"Bearer {await staff.issue_token('wanda')}"}
    made = await client.post("/api/v1/admin/accounts", headers=admin,
                             json={"username": "yann", "role": "approver", "password": "short"})
    assert made.status == 400 and "12 characters" in (await made.json())["error"]["message"]
    made = await client.post("/api/v1/admin/accounts", headers=admin,
                             json={"username": "yann", "role": "approver", "password": PASSWORD + "!"})
    assert made.status == 201
    refused = await client.post("/api/v1/admin/accounts", headers={"Authorization": admin["Authorization"][:-2]},
                                json={"username": "zoe", "role": "admin", "password": PASSWORD})
    assert refused.status == 401
    entry = (await client.app[STORE].audit(1))[0]
    assert (entry["actor"], entry["action"], entry["target"]) == ("wanda", "staff.account.set", "yann")
    assert PASSWORD not in str(await client.app[STORE].audit(50))  # no password in the audit log


async def test_new_console_pages_escape_and_forms_need_the_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    staff = client.app[STAFF]
    await staff.add("zelie", "admin", PASSWORD)
    signed = await sign_in(client, "zelie")
    cookie = {"Cookie": f"signage_session={signed.cookies['signage_session'].value}"}
    page = await (await client.get("/admin/accounts", headers=cookie)).text()
    csrf = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    hostile = "<img src=x onerror=alert(1)>"
    body = {"title": hostile, "targets": {"zones": ["dijon-centre"]}}
    forged = await client.post("/api/v1/admin/broadcasts", json=body, headers=cookie)
    assert forged.status == 403 and (await forged.json())["error"]["code"] == "bad_csrf"
    account = {"username": "intrus", "role": "admin", "password": PASSWORD}
    assert (await client.post("/api/v1/admin/accounts", json=account, headers=cookie)).status == 403
    assert (await client.post("/api/v1/admin/broadcasts", json=body,
                              headers={**cookie, "X-CSRF-Token": csrf})).status == 201
    audit = await (await client.get("/admin/audit?q=broadcast", headers=cookie)).text()
    assert hostile not in audit and "&lt;img src=x onerror=alert(1)&gt;" in audit
    assert "intrus" not in await (await client.get("/admin/accounts", headers=cookie)).text()
