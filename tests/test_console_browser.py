"""The console in Debian's chromium, as comms staff use it: sign in, edit a template and watch the preview
change, submit it, publish it as another approver, broadcast to a zone and see a kiosk in another browser change,
stop it. Screenshots of the main pages go to a temporary folder, or to docs/screenshots/ with
SIGNAGE_SCREENSHOTS=docs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from signage.web.keys import PANEL_TOKENS, STAFF
from tests.helpers import assert_accessible, post_central_parking, until

PASSWORD = "correct horse battery"


UNLABELLED = """Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id || e.name)"""


async def assert_every_field_is_labelled(page: Any) -> None:
    """Staff who use a screen reader hear what each field is for, and axe-core finds nothing serious."""
    assert await page.evaluate(UNLABELLED) == [], page.url
    await assert_accessible(page)


async def signed_in(browser: Any, base: str, username: str) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = await context.new_page()
    await page.goto(base + "/admin/login")
    await assert_accessible(page)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/admin")
    return context, page


async def test_edit_review_publish_broadcast_and_stop_in_the_browser(client, browser, screenshots) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("ecrivain", "editor", PASSWORD)
    await client.app[STAFF].add("relecteur", "approver", PASSWORD)
    await client.app[STAFF].add("gardien", "admin", PASSWORD)
    await post_central_parking(client, darcy=64)
    # Secure cookies: chromium keeps them on http://localhost, a secure context.
    base = str(client.make_url("")).rstrip("/").replace("127.0.0.1", "localhost")

    kiosk_context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    kiosk = await kiosk_context.new_page()
    await kiosk.goto(base + "/kiosk/gare")
    await until(kiosk, "document.querySelector('#pages').innerText.includes('Darcy 64')")

    editor_context, editor = await signed_in(browser, base, "ecrivain")
    await editor.goto(base + "/admin/templates")
    await assert_accessible(editor)
    await editor.goto(base + "/admin/templates/parking-guidance")
    await editor.wait_for_selector("[data-sign=char-3x20] img")
    before = await editor.get_attribute("[data-sign=char-3x20] img", "alt")
    # No template code: the line is text and live values; the count says what shows when it is 0 or unknown.
    line1 = editor.locator(".compose-line[data-for=line1]")
    assert await line1.locator(".piece-count select").input_value() == "a_free"
    assert await line1.locator(".piece-count input[data-field=full]").input_value() == "COMPLET"
    await line1.locator(".piece-text input").first.fill(" : ")
    await line1.locator(".piece-count input[data-field=unit]").fill(" places")
    await until(editor,
        "document.querySelector('[data-sign=char-3x20] img')?.alt.includes('Darcy : 120 places')")
    assert before != await editor.get_attribute("[data-sign=char-3x20] img", "alt")
    assert await line1.locator(".meter").inner_text() == "18 / 20 caractères"  # fits the text signs
    await until(editor, "Array.from(document.querySelectorAll('#previews img'))"
                        ".every(i => i.complete && i.naturalWidth > 0)")  # loaded under the page's own policy
    # Too long for the text signs: the line's meter and the sign's preview say so, in words.
    line2 = editor.locator(".compose-line[data-for=line2]")
    await line2.locator(".piece-text input").first.fill(" Anticonstitutionnellement ")
    await until(editor, "document.querySelector('.compose-line[data-for=line2] .meter').classList.contains('over')")
    await until(editor, "document.querySelector('[data-sign=char-3x20]')?.innerText"
                        ".includes('le mot « Anticonstitutionnellement » fait 25 caractères')")
    await line2.locator(".piece-text input").first.fill(" ")
    await until(editor, "document.querySelector('[data-sign=char-3x20] img')?.alt.includes('Dauphine COMPLET')")
    # The pictogram is chosen by what it shows.
    assert await editor.eval_on_selector("#pictogram-choice", "s => s.selectedOptions[0].textContent") == "P de parking"
    await editor.select_option("#pictogram-choice", "")
    await until(editor, "!document.querySelector('[data-sign=full-96x32-amber] img')?.alt.startsWith('[g')")
    await editor.select_option("#pictogram-choice", "parking")
    await until(editor, "document.querySelector('[data-sign=full-96x32-amber] img')?.alt.startsWith('[g')")
    # What the composer wrote stays editable as template text, under "Avancé".
    await editor.click("fieldset[data-lang=fr] details.advanced summary")
    assert await editor.input_value("#line1") == (
        "{{ a_name }} : {% if a_free is none %}--{% elif a_free > 0 %}{{ a_free | number }} places"
        "{% else %}COMPLET{% endif %}")
    # The phone and the kiosk follow the language's text until a channel says otherwise.
    await until(editor, "document.querySelector('#phone-preview .n-body').innerText.includes('Darcy : 120')")
    await editor.click("fieldset[data-lang=fr] summary:text('Variantes par canal')")
    await editor.fill("#push-title", "Places libres à {{ a_name }}")
    await until(editor,
        "document.querySelector('#phone-preview .n-title').innerText === 'Places libres à Darcy'")
    await editor.fill("#kiosk-title", "Stationnement au centre")
    await until(editor, "document.querySelector('#kiosk-preview .kiosk-title').innerText"
                                   " === 'Stationnement au centre'")
    await editor.screenshot(path=str(screenshots / "console-template-editor.png"), full_page=True)
    await assert_every_field_is_labelled(editor)
    await editor.click("#save")
    await until(editor, "document.getElementById('editor-status').innerText.includes('soumise')")
    assert "Darcy 64" in await kiosk.inner_text("#pages")  # submitted is not published: the street is unchanged

    approver_context, approver = await signed_in(browser, base, "relecteur")
    await approver.goto(base + "/admin/templates/parking-guidance")
    # The approver sees what the version changes from what the street shows, field by field, before publishing.
    changes = await approver.inner_text("tr[data-version='1'] .changes")
    assert "fr lines 1" in changes and "{{ a_name }} : {% if a_free is none %}" in changes
    assert "fr push title" in changes and "Places libres à {{ a_name }}" in changes
    await approver.screenshot(path=str(screenshots / "console-template-review.png"), full_page=True)
    await approver.click("button.approve")
    await until(approver, "document.getElementById('editor-status').innerText.includes('publiée')")
    # The table follows without a reload: the version reads as published, nothing left to approve.
    await until(approver, "document.querySelector(\"tr[data-version='1'] td:nth-child(2)\").innerText === 'publiée'")
    assert await approver.locator("button.approve").count() == 0
    await until(kiosk, "document.querySelector('#pages').innerText.includes('Darcy : 64 places')",
                                  timeout=3000)

    await editor.goto(base + "/admin/broadcast")
    await editor.fill("#b-title", "Marché de Noël")
    await editor.fill("#b-line1", "Place François Rude")
    await editor.check("input[name=zones][value=dijon-gare]")
    await editor.click("#panel-map .pin-icon[data-panel=campus]")  # chosen on the map, chosen in the list
    assert await editor.is_checked("input[name=panels][value=campus]")
    assert await editor.get_attribute("#panel-map .pin-icon[data-panel=campus]", "aria-pressed") == "true"
    assert "Pas de fond de carte configuré" in await editor.inner_text("#map-note")  # and the page still works
    await editor.screenshot(path=str(screenshots / "console-broadcast.png"), full_page=True)
    await assert_every_field_is_labelled(editor)
    await editor.click("#send")  # how fast it reaches the street is measured in bench/, not asserted here
    await until(kiosk, "document.querySelector('#pages').innerText.includes('Marché de Noël')")
    await editor.wait_for_selector("#active tr[data-broadcast] button.stop")
    await editor.click("#active button.stop")
    await until(kiosk, "!document.querySelector('#pages').innerText.includes('Marché de Noël')")
    await until(editor, "document.querySelectorAll('#active tr').length === 0")

    # A broadcast for tonight waits in the list as scheduled, and can be cancelled before it starts.
    tonight = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    await editor.fill("#b-title", "Feu d'artifice")
    await editor.fill("#b-start", tonight)
    await editor.click("#send")
    await until(editor, "document.getElementById('broadcast-status').innerText === 'Programmé.'")
    row = editor.locator("#active tr[data-broadcast]")
    assert "programmé" in await row.inner_text() and "Feu d'artifice" in await row.inner_text()
    assert "Feu d'artifice" not in await kiosk.inner_text("#pages")
    await row.locator("button.stop").click()
    await until(editor, "document.querySelectorAll('#active tr').length === 0")

    # An emergency from the approver's form pre-empts the kiosk, then is lifted.
    await approver.goto(base + "/admin/emergency")
    await approver.fill("#e-headline-fr", "Fuite de gaz rue Guillaume Tell")
    await approver.fill("#e-instruction-fr", "Éloignez-vous du quartier de la gare")
    await approver.check("input[name=zones][value=dijon-gare]")
    # Before it is sent, the zone's sign as it will show the alert.
    await until(approver, "document.querySelector('#e-previews figure[data-sign=gare] img')?.naturalWidth > 0")
    assert "tient sur les 1 panneau(x)" in await approver.inner_text("#e-fit")
    await approver.click("#issue")  # not confirmed yet: nothing is sent
    await until(approver, "document.getElementById('emergency-status').innerText.includes('confirmation')")
    await approver.check("#e-confirm")
    await approver.screenshot(path=str(screenshots / "console-emergency.png"), full_page=True)
    await assert_every_field_is_labelled(approver)
    await approver.click("#issue")
    await until(kiosk, "document.querySelector('#pages').innerText.includes('Fuite de gaz')",
                                  timeout=3000)
    assert "Éloignez-vous du quartier de la gare" in await kiosk.inner_text("#pages")  # what to do, too
    await approver.click("#issued button.stop")
    await until(kiosk, "!document.querySelector('#pages').innerText.includes('Fuite de gaz')",
                                  timeout=3000)

    await approver.goto(base + "/admin/audit?q=broadcast")
    journal = await approver.inner_text("#audit")
    assert "a arrêté une diffusion" in journal and "a diffusé « Marché de Noël » sur Quartier de la gare" in journal
    assert "brouillon" not in journal  # the search filters
    await approver.goto(base + "/admin/audit")
    await approver.screenshot(path=str(screenshots / "console-audit.png"), full_page=True)
    await assert_every_field_is_labelled(approver)
    admin_context, admin = await signed_in(browser, base, "gardien")
    await admin.goto(base + "/admin/accounts")
    await admin.fill("#a-username", "nouvelle")
    await admin.select_option("#a-role", "editor")
    await admin.fill("#a-password", PASSWORD)
    await admin.click("#save-account")
    await admin.wait_for_selector("#accounts td:text-is('nouvelle')")
    await admin.screenshot(path=str(screenshots / "console-accounts.png"), full_page=True)
    await assert_every_field_is_labelled(admin)
    await admin_context.close()
    await approver.goto(base + "/admin/panels/darcy")
    # Why, in French, with names and the values read.
    why = await approver.inner_text("#why")
    assert why.startswith("Pourquoi :") and "l'emporte" in why and "wins" not in why
    assert "voie règle" in why
    values = await approver.inner_text("#values")
    assert "Darcy" in values and "places libres : 64" in values and "à jour" in values
    await assert_accessible(approver)
    await approver.screenshot(path=str(screenshots / "console-panel-why.png"), full_page=True)
    # The control room follows the city live: a broadcast changes Darcy's picture and lane without a reload, and
    # panels that start reporting are shown online.
    await editor.goto(base + "/admin")
    assert "0 panneau(x) en ligne sur 6" in await editor.inner_text(".summary")
    await until(editor, "document.getElementById('live-status').innerText === 'en direct'")
    for panel_id in ("darcy", "republique"):
        token = await client.app[PANEL_TOKENS].issue(panel_id)
        content = await (await client.get(f"/api/v1/panels/{panel_id}/content",
                                          headers={"Authorization": f"Bearer {token}"})).json()
        await client.post(f"/api/v1/panels/{panel_id}/receipts", json={"etag": content["etag"]},
                          headers={"Authorization": f"Bearer {token}"})
    before = await editor.get_attribute("#panels tr[data-panel=darcy] img", "src")
    token = await client.app[STAFF].issue_token("ecrivain")
    sent = await client.post("/api/v1/admin/broadcasts", headers={"Authorization": f"Bearer {token}"},
                             json={"title": "Vide-grenier", "lines": ["Dimanche"], "targets": {"panels": ["darcy"]}})
    assert sent.status == 201
    await until(editor,
        "document.querySelector('#panels tr[data-panel=darcy] .lane').innerText === 'diffusion'", timeout=3000)
    assert await editor.get_attribute("#panels tr[data-panel=darcy] img", "src") != before
    assert "Vide-grenier" in (await editor.get_attribute("#panels tr[data-panel=darcy] img", "alt") or "")
    await until(editor, "document.querySelector('.summary').innerText.includes('2 panneau(x) en ligne')",
                                   timeout=3000)
    assert "en ligne" in await editor.inner_text("#panels tr[data-panel=darcy] .status")
    await assert_accessible(editor)
    assert "hors ligne" in await editor.inner_text("#panels tr[data-panel=chu] .status")
    assert "online" in (await editor.get_attribute("#panel-map .pin-icon[data-panel=darcy]", "class") or "")
    assert "offline" in (await editor.get_attribute("#panel-map .pin-icon[data-panel=chu]", "class") or "")
    await editor.screenshot(path=str(screenshots / "console-control-room.png"), full_page=True)
    for context in (kiosk_context, editor_context, approver_context):
        await context.close()


async def test_a_broadcast_shows_every_sign_before_it_is_sent_and_says_which_keep_their_own(client, browser, screenshots) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    await client.app[STAFF].add("ecrivain", "editor", PASSWORD)
    await post_central_parking(client, darcy=64)
    base = str(client.make_url("")).rstrip("/").replace("127.0.0.1", "localhost")
    context, editor = await signed_in(browser, base, "ecrivain")
    await editor.goto(base + "/admin/broadcast")
    assert "choisissez où diffuser" in await editor.inner_text("#b-fit")
    # The keyboard follows the page's reading order, and a pin on the map is chosen with Enter.
    await editor.focus("#b-title")
    reached = []
    for _ in range(8):
        await editor.keyboard.press("Tab")
        reached.append(await editor.evaluate("document.activeElement.id || document.activeElement.name"))
    assert reached[:6] == ["b-line1", "b-line2", "b-line3", "b-priority", "b-severity", "b-start"]
    await editor.focus("#panel-map .pin-icon[data-panel=gare]")
    await editor.keyboard.press("Enter")
    assert await editor.is_checked("input[name=panels][value=gare]")
    await editor.keyboard.press("Enter")
    assert not await editor.is_checked("input[name=panels][value=gare]")
    await editor.fill("#b-title", "Anticonstitutionnellement")
    await editor.check("input[name=zones][value=dijon-centre]")  # Darcy (20 characters) and République
    await editor.check("input[name=panels][value=toison-dor]")
    await until(editor, "document.querySelectorAll('#b-previews figure').length === 3")
    # The wide signs say why, and show what they keep; the wide one shows the text as it will light it.
    darcy = await editor.inner_text("#b-previews figure[data-sign=darcy]")
    assert "Ne peut pas l'afficher" in darcy and "« Anticonstitutionnellement » fait 25 caractères" in darcy
    assert "en tient 20" in darcy
    assert "2 panneau(x) sur 3 ne peuvent pas l'afficher" in await editor.inner_text("#b-fit")
    await until(editor, "Array.from(document.querySelectorAll('#b-previews img'))"
                        ".every(i => i.complete && i.naturalWidth > 0)")
    assert (await editor.get_attribute("#b-previews figure[data-sign=toison-dor] img", "src") or "").startswith(
        "data:image/png")  # loaded under the page's own Content-Security-Policy
    await editor.screenshot(path=str(screenshots / "console-broadcast-fit.png"), full_page=True)
    await assert_accessible(editor)
    kept = await (await client.get("/api/v1/panels/darcy/content?format=multi")).text()
    await editor.click("#send")
    await until(editor, "document.getElementById('broadcast-status').innerText.includes('gardent leur contenu')")
    await until(editor, "document.querySelector('#active li[data-sign=toison-dor]')?.dataset.state === 'shown'")
    await until(editor, "document.querySelector('#active li[data-sign=darcy]')?.dataset.state === 'unfit'")
    assert "garde une règle" in await editor.inner_text("#active li[data-sign=darcy]")
    targets = await editor.inner_text("#active tr[data-broadcast] td:nth-child(2)")
    assert "Dijon centre-ville" in targets and "Toison d'Or" in targets  # names, not ids
    assert await (await client.get("/api/v1/panels/darcy/content?format=multi")).text() == kept  # never blank
    await assert_accessible(editor)
    await context.close()
