"""The console in the city's languages: French by default, English for Dijon's staff who want it, every string
translated, nothing left in French on an English page, and back."""

from __future__ import annotations

import re
from typing import Any

from signage.config import demo_config_path
from signage.web.console_language import catalog, offered
from signage.web.keys import STAFF
from tests.console_catalog import ROOT, console_strings
from tests.helpers import assert_accessible, post_central_parking, until

PASSWORD = "correct horse battery"


def test_every_string_of_the_console_has_its_english_and_the_same_placeholders() -> None:
    english = catalog("en")
    strings = console_strings()
    assert sorted(strings - set(english)) == [], "strings without an English translation"
    assert sorted(set(english) - strings) == [], "translations of strings the console no longer shows"
    for french, said in english.items():
        assert set(re.findall(r"\{(\w+)\}", french)) == set(re.findall(r"\{(\w+)\}", said)), french
        assert said.strip(), french


def test_the_console_speaks_the_citys_languages_french_first() -> None:
    assert offered(("fr", "en")) == ("fr", "en")
    assert offered(("en", "fr")) == ("en", "fr")
    assert offered(("fr", "nl")) == ("fr",)  # Brussels' staff get French, one of the city's languages
    assert offered(("nl",)) == ("fr",)


async def test_a_staff_member_switches_the_console_to_english_and_back(client, browser, screenshots) -> None:  # type: ignore[no-untyped-def]
    await client.app[STAFF].add("redactrice", "admin", PASSWORD)
    await post_central_parking(client, darcy=37)
    base = str(client.make_url("")).rstrip("/").replace("127.0.0.1", "localhost")
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    await page.goto(base + "/admin/login")
    assert await page.get_attribute("html", "lang") == "fr"  # French by default, whatever the browser says
    await page.click("a[hreflang=en]")
    await page.wait_for_url(base + "/admin/login")
    assert await page.inner_text("h1") == "Sign in" and await page.get_attribute("html", "lang") == "en"
    await page.fill("#username", "redactrice")
    await page.fill("#password", "wrong password, surely")
    await page.click("button[type=submit]")
    assert "Wrong username or password." in await page.inner_text(".error")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/admin")
    # The city's own texts (rule and template descriptions) are written in French by the city: not the console's.
    city_texts = demo_config_path().read_text(encoding="utf-8") + "".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "content" / "templates").glob("*.yaml"))
    french = [text for text, said in catalog("en").items()
              if said != text and len(text) >= 10 and text not in city_texts]

    async def in_english(path: str, ready: str, picture: str | None = None) -> None:
        await page.goto(base + path)
        await until(page, ready)
        seen = await page.inner_text("body")
        left = [text for text in french if "{" not in text and text in seen]
        assert left == [], f"{path} still says in French: {left}"
        await assert_accessible(page)
        if picture:
            await page.screenshot(path=str(screenshots / f"console-{picture}-en.png"), full_page=True)

    await in_english("/admin", "document.getElementById('live-status').innerText === 'live'")
    assert await page.inner_text("h1") == "Control room live"
    assert "sign(s) online" in await page.inner_text("#online-count")
    await page.screenshot(path=str(screenshots / "console-control-room-en.png"), full_page=True)
    await in_english("/admin/templates/parking-guidance", "document.querySelectorAll('[data-sign] img').length > 0")
    assert "+ live value" in await page.inner_text(".composer")
    assert re.search(r"\d+ / \d+ characters", await page.inner_text(".composer"))
    await page.screenshot(path=str(screenshots / "console-template-en.png"), full_page=True)
    await in_english("/admin/broadcast", "document.getElementById('b-fit').innerText.startsWith('Write a title')")
    await page.fill("#b-title", "Marché de Noël")
    await page.check("input[name=zones][value=dijon-centre]")
    await until(page, "document.getElementById('b-fit').innerText.includes('targeted sign')")
    await page.screenshot(path=str(screenshots / "console-broadcast-en.png"), full_page=True)
    await in_english("/admin/emergency", "document.readyState === 'complete'", "emergency")
    await in_english("/admin/audit", "document.readyState === 'complete'", "audit")
    assert "signed in" in await page.inner_text("#audit")
    await in_english("/admin/panels/darcy", "document.readyState === 'complete'", "panel-why")
    await in_english("/admin/accounts", "document.readyState === 'complete'", "accounts")
    await page.click("a[hreflang=fr]")
    await page.wait_for_url(base + "/admin/accounts")
    assert await page.inner_text("h1") == "Comptes" and await page.get_attribute("html", "lang") == "fr"
    await context.close()


async def test_only_the_citys_console_languages_are_offered(client) -> None:  # type: ignore[no-untyped-def]
    refused = await client.get("/admin/language/nl", allow_redirects=False)
    assert refused.status == 404 and (await refused.json())["error"]["code"] == "unknown_language"
    chosen = await client.get("/admin/language/en", allow_redirects=False,
                              headers={"Referer": "https://elsewhere.example/admin/templates"})
    assert chosen.status == 303 and chosen.headers["Location"] == "/admin/templates"  # the path only, never a host
    odd: Any = await client.get("/admin/language/en", allow_redirects=False,
                                headers={"Referer": "https://elsewhere.example//evil.example/x"})
    assert odd.headers["Location"] == "/admin"
