"""The citizens' phone app in Debian's chromium: live car parks, an installable app with a service worker, push
opt-in through the subscription API (the browser's own push service is the one boundary replaced: the test
hands the page a subscription of the local push service, which decrypts what the engine sends), offline use,
and no request to any other server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from signage.demo.payloads import air_quality_notification, cap_alert
from signage.web.keys import SUBSCRIPTIONS
from tests.channels.test_kiosk_browser import _contrast
from tests.channels.test_web_push import push_setup  # noqa: F401 (fixture)
from tests.helpers import eventually, feed_auth, post_parking, until
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

    # Push opt-in: my zone's alerts, then an alert reaches the phone, decrypted to the right text.
    await page.select_option("#zone", "cote-d-or")
    await page.check("input[value='alerts/cote-d-or']")
    await page.uncheck("#quiet-on")
    await page.click("#subscribe")
    await until(page, "document.getElementById('notify-status').textContent === 'Notifications activées.'")
    store = client.app[SUBSCRIPTIONS]
    assert await store.ids_for("alerts/cote-d-or") != []
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
