"""The kiosk page in a real browser: it shows the panel's content and changes live, without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from signage.demo.payloads import cap_alert
from tests.helpers import assert_accessible, feed_auth, post_central_parking, until


async def test_the_kiosk_changes_live_over_the_websocket(client, browser) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(str(client.make_url("/kiosk/gare")))
    assert await page.get_attribute("html", "lang") == "fr"
    await until(page, "document.getElementById('status').textContent === 'en direct'")
    await page.evaluate("window.notReloaded = true")

    await post_central_parking(client, darcy=61)
    await until(page,
        "document.querySelector('#pages .page.current')?.innerText.includes('Darcy 61 pl')", timeout=10_000)
    assert await page.evaluate("window.notReloaded") is True

    now = datetime.now(UTC)
    response = await client.post("/feeds/cap", data=cap_alert("K1", now, now + timedelta(hours=1)),
                                 headers=await feed_auth(client, "cap"))
    assert response.status == 202
    await until(page,
        "document.querySelector('#pages .page.current')?.innerText.includes('Vigilance orange')", timeout=10_000)
    # Severity is written out, not carried by colour alone.
    assert await page.inner_text("#pages .page.current .severity") == "MODÉRÉ"
    await page.close()


async def test_an_alert_on_a_kiosk_reads_once_with_what_is_happening_and_what_to_do(client, browser, screenshots) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    now = datetime.now(UTC)
    warning = cap_alert("K2", now, now + timedelta(hours=1), severity="Severe", headline_fr="Vigilance orange vent",
                        description_fr="Rafales de 100 km/h attendues en soirée.",
                        instruction_fr="Éloignez-vous des arbres.")
    assert (await client.post("/feeds/cap", data=warning, headers=await feed_auth(client, "cap"))).status == 202
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(str(client.make_url("/kiosk/gare")))
    await until(page, "document.querySelector('#pages .page.current')?.innerText.includes('Rafales')")
    shown = await page.inner_text("#pages .page.current")
    assert shown.count("Vigilance orange vent") == 1 and "\nALERTE\n" not in shown
    assert "Rafales de 100 km/h attendues en soirée." in shown and "À faire : Éloignez-vous des arbres." in shown
    # A pictogram, and the severity in words on its colour.
    await until(page, "document.querySelector('#pages .page.current img.pictogram')?.naturalWidth > 0")
    badge = await page.evaluate("getComputedStyle(document.querySelector('.page.current .severity')).backgroundColor")
    assert badge == "rgb(255, 154, 60)"
    # The screen is used: the text reaches down the screen, and the clock is a 24-hour one.
    bottom = await page.evaluate("document.querySelector('.page.current .line:last-child').getBoundingClientRect()"
                                 ".bottom")
    assert bottom > 1080 / 2
    clock = await page.inner_text("#clock")
    assert len(clock) == 5 and clock[2] == ":" and "M" not in clock
    await assert_accessible(page)
    await page.screenshot(path=str(screenshots / "kiosk-alert.png"))
    await page.close()


async def test_text_from_a_feed_is_never_run_as_html(client, browser) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page()
    await page.goto(str(client.make_url("/kiosk/gare")))
    await until(page, "document.getElementById('status').textContent === 'en direct'")
    now = datetime.now(UTC)
    hostile = cap_alert("X1", now, now + timedelta(hours=1),
                        headline_fr='<img src=x onerror="window.pwned=1">Tempête')
    assert (await client.post("/feeds/cap", data=hostile, headers=await feed_auth(client, "cap"))).status == 202
    await until(page,
        "document.querySelector('#pages .page.current')?.innerText.includes('Tempête')", timeout=10_000)
    assert await page.evaluate("window.pwned") is None
    assert await page.locator("#pages img[src=x]").count() == 0
    # The server-rendered page escapes it too.
    html = await (await client.get("/kiosk/gare")).text()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    await page.close()


def _luminance(rgb: str) -> float:
    """Relative luminance (WCAG 2.1) of a CSS ``rgb(r, g, b)`` value."""
    channels = [int(float(c)) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


TEXT_STYLES = """() => [...document.querySelectorAll('header span, h1, .line, .severity, footer span')]
  .filter(e => e.offsetParent !== null && e.innerText.trim())
  .map(e => ({text: e.innerText, color: getComputedStyle(e).color, size: parseFloat(getComputedStyle(e).fontSize),
              background: getComputedStyle(e).backgroundColor}))"""


async def test_kiosks_are_accessible_in_french_and_english(client, browser, screenshots) -> None:  # type: ignore[no-untyped-def]
    """WCAG 2.1 AA contrast, the page's language, severity in words, readable sizes, nothing moving or flashing."""
    now = datetime.now(UTC)
    assert (await client.post("/feeds/cap", data=cap_alert("A11Y", now, now + timedelta(hours=1)),
                              headers=await feed_auth(client, "cap"))).status == 202
    for panel, language, label in (("gare", "fr", "MODÉRÉ"), ("campus", "en", "MODERATE")):
        page = await browser.new_page(viewport={"width": 1920, "height": 1080}, reduced_motion="reduce")
        await page.goto(str(client.make_url(f"/kiosk/{panel}")))
        assert await page.get_attribute("html", "lang") == language
        await until(page,
            "document.querySelector('#pages .page.current .severity') !== null", timeout=10_000)
        assert await page.inner_text("#pages .page.current .severity") == label
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        styles = await page.evaluate(TEXT_STYLES)
        assert styles
        for style in styles:  # against the text's own background where it has one (the severity's badge)
            own = style["background"] if style["background"] not in ("rgba(0, 0, 0, 0)", "transparent") else None
            assert _contrast(style["color"], own or background) >= 4.5, style
        title_size = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('.page.current h1'))"
                                         ".fontSize)")
        assert title_size >= 64  # about 8 % of the screen's height: legible from several metres
        assert await page.evaluate("document.getAnimations().length") == 0  # nothing flashes or moves
        assert await page.evaluate("getComputedStyle(document.querySelector('.page')).transitionDuration") == "0s"
        await assert_accessible(page)
        await page.screenshot(path=str(screenshots / f"kiosk-{language}.png"))
        await page.close()
