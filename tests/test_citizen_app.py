"""The citizens' phone app in Debian's chromium: live car parks, an installable app with a service worker, push
opt-in through the subscription API (the browser's own push service is the one boundary replaced: the test
hands the page a subscription of the local push service, which decrypts what the engine sends), offline use,
and no request to any other server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from signage.demo.payloads import air_quality_notification, cap_alert, siri_stop_monitoring
from signage.web.keys import SUBSCRIPTIONS
from tests.channels.test_kiosk_browser import _contrast
from tests.channels.test_web_push import push_setup  # noqa: F401 (fixture)
from tests.helpers import assert_accessible, eventually, feed_auth, post_parking, until
from tests.push_service import subscriber_info

PHONE = {"width": 390, "height": 844}


async def test_the_phone_app_is_live_installable_and_subscribes_to_push(push_setup, browser, screenshots) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, state, service = push_setup
    origin = str(client.make_url("/")).rstrip("/")
    await post_parking(client, "darcy", 120)
    for park, free in (("dauphine", 310), ("grangier", 0)):
        await post_parking(client, park, free)
    response = await client.post("/feeds/atmo", data=air_quality_notification(4, datetime.now(UTC)),
                                 headers={"Content-Type": "application/json", **await feed_auth(client, "atmo")})
    assert response.status == 202
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                        locale="fr-FR")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    info = subscriber_info(service, "citizen")
    # The one boundary: the browser's push service is not reachable here, so the page is handed a subscription
    # of the local push service when it asks the browser for one.
    await context.add_init_script(f"""
        Object.defineProperty(window, 'Notification', {{ value: {{ permission: 'granted',
            requestPermission: () => Promise.resolve('granted') }} }});
        PushManager.prototype.subscribe = function () {{
            const info = {json.dumps(info)};
            return Promise.resolve({{ endpoint: info.endpoint, toJSON: () => info,
                                      unsubscribe: () => Promise.resolve(true) }});
        }};
        PushManager.prototype.getSubscription = function () {{ return Promise.resolve(null); }};
    """)
    page = await context.new_page()
    await page.goto(origin + "/")
    assert await page.get_attribute("html", "lang") == "fr"
    await page.wait_for_selector("[data-park=darcy] .free")
    assert "120 places libres" in await page.inner_text("[data-park=darcy]")
    assert "COMPLET" in await page.inner_text("[data-park=grangier]")
    await until(page, "document.getElementById('air-card').innerText.includes('4/6')")
    await until(page, "document.getElementById('status').textContent === 'En direct'")

    # Live: a delivery shows within a second.
    await post_parking(client, "darcy", 47)
    await until(page,
        "document.querySelector('[data-park=darcy] .free').dataset.free === '47'", timeout=1000)

    # Installable: a manifest and an active service worker.
    manifest = await (await client.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone" and any(i["sizes"] == "192x192" for i in manifest["icons"])
    assert await page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True

    # Accessible: every control labelled, text contrast AA, severity in words.
    unlabelled = await page.evaluate("""() => [...document.querySelectorAll('select, input')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id)""")
    assert unlabelled == []
    colours = await page.evaluate("""() => [...document.querySelectorAll('main h2, main li, main p, label')]
        .filter(e => e.offsetParent && e.innerText.trim()).map(e => getComputedStyle(e).color)""")
    assert colours and all(_contrast(c, "rgb(255, 255, 255)") >= 4.5 for c in colours)
    # Keyboard: every control is reached with Tab, in reading order, the language switch first.
    reached = []
    for _ in range(40):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate("document.activeElement.id || document.activeElement.value || ''"))
    assert reached[0] == "language" and "zone" in reached and "street" in reached and "subscribe" in reached
    await page.screenshot(path=str(screenshots / "app-phone-fr.png"), full_page=True)

    # Only what the city actually notifies is offered: Darcy has a "nearly full" rule, Dauphine has none.
    offered = await page.eval_on_selector_all("#topic-choices input", "boxes => boxes.map(b => b.value)")
    assert "parking/darcy" in offered and "parking/dauphine" not in offered and "air/dijon-metropole" in offered

    # Push opt-in: my zone's alerts, then an alert for the county my town lies in reaches the phone, decrypted to
    # the right text.
    await page.select_option("#zone", "dijon-centre")
    await page.check("input[value='alerts/dijon-centre']")
    await page.uncheck("#quiet-on")
    await page.click("#subscribe")
    await until(page, "document.getElementById('notify-status').textContent === 'Notifications activées.'")
    store = client.app[SUBSCRIPTIONS]
    assert await store.ids_for("alerts/dijon-centre") != [] and await store.ids_for("alerts/cote-d-or") != []
    now = datetime.now(UTC)
    response = await client.post("/feeds/cap", data=cap_alert("APP1", now, now + timedelta(hours=2),
                                                            headline_fr="Crue de l'Ouche"),
                                 headers=await feed_auth(client, "cap"))
    assert response.status == 202
    await eventually(lambda: any(r.name == "citizen" for r in state.received))
    pushed = next(r for r in state.received if r.name == "citizen").json()
    assert "Crue de l'Ouche" in pushed["body"] and pushed["lang"] == "fr"
    await until(page, "document.getElementById('alert-list').innerText.includes('Crue de')")

    # English, for the other screenshot.
    await page.click("#language")
    assert await page.get_attribute("html", "lang") == "en"
    assert "free places" in await page.inner_text("[data-park=darcy]")
    await page.screenshot(path=str(screenshots / "app-phone-en.png"), full_page=True)

    # Unsubscribe in one tap.
    await page.click("#unsubscribe")
    await until(page, "document.getElementById('notify-status').textContent === 'Notifications off.'")
    assert await store.count() == 0

    # Offline: the page still opens, with the last data and its age.
    await context.set_offline(True)
    await page.reload()
    await page.wait_for_selector("[data-park=darcy] .free")
    assert "47" in await page.inner_text("[data-park=darcy]")
    await until(page, "document.getElementById('status').classList.contains('offline')")
    await context.set_offline(False)

    # No third party: every request went to this server.
    assert requests and all(url.startswith(origin) or url.startswith("ws://" + origin[7:]) for url in requests)
    await context.close()
    await asyncio.sleep(0)


async def test_a_citizen_reads_each_alert_once_with_what_to_do_next_departures_and_a_clear_opt_in(push_setup, browser, screenshots) -> None:  # type: ignore[no-untyped-def]  # noqa: E501, F811
    client, _, _ = push_setup
    origin = str(client.make_url("/")).rstrip("/")
    now = datetime.now(UTC)
    cap = await feed_auth(client, "cap")
    first = cap_alert("WIND1", now, now + timedelta(hours=3), severity="Severe", headline_fr="Vigilance orange vent",
                      description_fr="Rafales de 100 km/h attendues en soirée.",
                      instruction_fr="Rentrez les objets susceptibles d'être emportés.")
    assert (await client.post("/feeds/cap", data=first, headers=cap)).status == 202
    update = cap_alert("WIND2", now, now + timedelta(hours=3), msg_type="Update", references="vigilance@meteo.fr,WIND1,"
                       + now.isoformat(), severity="Severe", headline_fr="Vigilance orange vent prolongée",
                       description_fr="Rafales de 110 km/h jusqu'à minuit.",
                       instruction_fr="Évitez les bords de l'Ouche et les parcs.")
    assert (await client.post("/feeds/cap", data=update, headers=cap)).status == 202
    in_five = now + timedelta(minutes=5)
    siri = siri_stop_monitoring("DARCY", [("T1", "Quetigny Centre", in_five), ("T2", "Chenôve Centre",
                                                                                 now + timedelta(minutes=9))],
                                now, "Darcy")
    assert (await client.post("/feeds/siri", data=siri, headers={"Content-Type": "application/xml",
                                                                  **await feed_auth(client, "siri")})).status == 202
    response = await client.post("/feeds/atmo", data=air_quality_notification(4, now),
                                 headers={"Content-Type": "application/json", **await feed_auth(client, "atmo")})
    assert response.status == 202
    await post_parking(client, "darcy", 120)

    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
    # The browser's push service, the one boundary: permission is refused first, then a subscription never answers.
    await context.add_init_script("""
        window.__permission = 'denied';
        Object.defineProperty(window, 'Notification', { value: { get permission() { return window.__permission; },
            requestPermission: () => Promise.resolve(window.__permission) } });
        PushManager.prototype.subscribe = function () { return new Promise(() => {}); };
    """)
    page = await context.new_page()
    await page.goto(origin + "/")
    # One card for the warning and its update, whichever zones it covers, with what to do, and its severity.
    await until(page, "document.querySelector('#alert-list .alert h3')?.innerText"
                      " === 'Vigilance orange vent prolongée'")
    cards = await page.locator("#alert-list li.alert").count()
    assert cards == 1
    card = await page.inner_text("#alert-list li.alert")
    assert "Rafales de 110 km/h jusqu'à minuit." in card
    assert "À faire : Évitez les bords de l'Ouche et les parcs." in card
    assert "SÉVÈRE" in card.upper() and "Jusqu'à" in card
    assert await page.evaluate("getComputedStyle(document.querySelector('#alert-list .badge')).backgroundColor") \
        == "rgb(255, 154, 60)"  # orange, beside the word
    await page.select_option("#zone", "dijon-centre")  # the zone's own list: still once
    await until(page, "document.querySelectorAll('#alert-list li.alert').length === 1")
    # Next departures at Darcy, on a 24-hour clock.
    await until(page, "document.querySelector('#departure-list [data-stop=darcy]') !== null")
    stop = await page.inner_text("#departure-list [data-stop=darcy]")
    expected = in_five.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
    assert stop.startswith("Darcy") and "T1" in stop and "Quetigny Centre" in stop and expected in stop
    assert "dans 5 min" in stop or "dans 4 min" in stop
    # A chart with its hours, the air level in words, quiet hours on a 24-hour clock.
    assert await page.get_attribute("[data-park=darcy] svg.chart", "role") in ("img", None)
    assert "4/6 · Mauvais" in await page.inner_text("#air-card")
    assert await page.eval_on_selector("#quiet-from", "s => s.selectedOptions[0].textContent") == "22 h"
    # Opting in: refused permission is said in French, never as the browser's English error.
    await page.click("#subscribe")
    await until(page, "document.getElementById('notify-status').dataset.state === 'blocked'")
    assert "autorisez-les dans les réglages" in await page.inner_text("#notify-status")
    # Granted, while the browser's push service is slow: the tap shows progress and cannot be repeated.
    await page.evaluate("window.__permission = 'granted'")
    await page.click("#subscribe")
    await until(page, "document.getElementById('notify-status').dataset.state === 'pending'")
    assert await page.is_disabled("#subscribe")
    assert await page.inner_text("#notify-status") == "Activation en cours…"
    await assert_accessible(page)
    await page.screenshot(path=str(screenshots / "app-phone-alert-fr.png"), full_page=True)
    # English: every word translated, English punctuation, a 24-hour clock.
    await page.click("#language")
    await until(page, "document.documentElement.lang === 'en'")
    assert "4/6 · Poor" in await page.inner_text("#air-card")
    card = await page.inner_text("#alert-list li.alert")
    assert "SEVERE" in card.upper() and "What to do:" in card
    stop = await page.inner_text("#departure-list [data-stop=darcy]")
    assert expected in stop and " PM" not in stop and " AM" not in stop
    assert " :" not in await page.inner_text("main")
    await assert_accessible(page)
    await page.screenshot(path=str(screenshots / "app-phone-alert-en.png"), full_page=True)
    # Open data for people: every dataset named, in the language the reader chose in the app, with its links.
    await page.click("footer a")
    await page.wait_for_url(origin + "/open?lang=en")
    assert "Next departures" in await page.inner_text("tr[data-dataset=departures]")
    assert " :" not in await page.inner_text("main")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
    await assert_accessible(page)
    await page.screenshot(path=str(screenshots / "open-data-en.png"), full_page=True)
    await page.goto(origin + "/open")  # the city's first language by default
    assert "Parkings" in await page.inner_text("tr[data-dataset=parking]")
    assert "Prochains départs" in await page.inner_text("tr[data-dataset=departures]")
    await assert_accessible(page)
    await page.screenshot(path=str(screenshots / "open-data-fr.png"), full_page=True)
    for language in ("fr", "en"):
        await page.goto(origin + f"/about?lang={language}")
        assert await page.get_attribute("html", "lang") == language
        await assert_accessible(page)
        await page.screenshot(path=str(screenshots / f"about-{language}.png"), full_page=True)
    await context.close()
