"""The kiosk page in a real browser: it shows the panel's content and changes live, without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from signage.demo.payloads import cap_alert
from tests.helpers import post_central_parking


async def test_the_kiosk_changes_live_over_the_websocket(client, browser) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(str(client.make_url("/kiosk/gare")))
    assert await page.get_attribute("html", "lang") == "fr"
    await page.wait_for_function("document.getElementById('status').textContent === 'en direct'")
    await page.evaluate("window.notReloaded = true")

    await post_central_parking(client, darcy=61)
    await page.wait_for_function(
        "document.querySelector('#pages .page.current')?.innerText.includes('Darcy 61 pl')", timeout=10_000)
    assert await page.evaluate("window.notReloaded") is True

    now = datetime.now(UTC)
    response = await client.post("/feeds/cap", data=cap_alert("K1", now, now + timedelta(hours=1)))
    assert response.status == 202
    await page.wait_for_function(
        "document.querySelector('#pages .page.current')?.innerText.includes('ALERTE')", timeout=10_000)
    # Severity is written out, not carried by colour alone.
    assert await page.inner_text("#pages .page.current .severity") == "MODÉRÉ"
    await page.close()


async def test_text_from_a_feed_is_never_run_as_html(client, browser) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page()
    await page.goto(str(client.make_url("/kiosk/gare")))
    await page.wait_for_function("document.getElementById('status').textContent === 'en direct'")
    now = datetime.now(UTC)
    hostile = cap_alert("X1", now, now + timedelta(hours=1),
                        headline_fr='<img src=x onerror="window.pwned=1">Tempête')
    assert (await client.post("/feeds/cap", data=hostile)).status == 202
    await page.wait_for_function(
        "document.querySelector('#pages .page.current')?.innerText.includes('Tempête')", timeout=10_000)
    assert await page.evaluate("window.pwned") is None
    assert await page.locator("#pages img").count() == 0
    # The server-rendered page escapes it too.
    html = await (await client.get("/kiosk/gare")).text()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    await page.close()
