"""A second city, configured only in YAML (``examples/brussels/``): Brussels-Capital in French and Dutch, on
Brussels' clocks, with Belgium's alerting codes. It passes ``signage check``, replays a recorded morning with
each panel in its own language, and its phone app and kiosks speak Dutch in a browser."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from signage.cli import main
from signage.demo.payloads import CarPark, cap_alert, gtfs_rt_alerts, parking_notification
from tests.conftest import ROOT, free_port
from tests.helpers import until
from tests.processes import feed_token, signage_process

CITY = ROOT / "examples" / "brussels" / "city.yaml"
PARKS = {p.id: p for p in (CarPark("rogier", "Rogier", 700, 50.8546, 4.3585),
                            CarPark("grand-place", "Grand-Place", 840, 50.8467, 4.3525),
                            CarPark("midi", "Midi", 450, 50.8355, 4.3360))}
START = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 07:00 in Brussels


def recorded_morning(path: Path) -> None:
    """Car parks filling up, tram 81 disrupted, then an orange wind warning for the region, as deliveries."""
    lines: list[dict[str, Any]] = []
    for step, (rogier, grand_place, midi) in enumerate([(420, 300, 200), (180, 90, 0), (40, 0, 0)]):
        at = START + timedelta(minutes=5 * step)
        for park, free in (("rogier", rogier), ("grand-place", grand_place), ("midi", midi)):
            lines.append({"at": at.isoformat(), "feed": "ngsi", "content_type": "application/json",
                          "body": json.loads(parking_notification(PARKS[park], free, at))})
    at = START + timedelta(minutes=12)
    disrupted = gtfs_rt_alerts({"81": "Travaux chaussée de Forest"}, at)
    lines.append({"at": at.isoformat(), "feed": "gtfs-rt", "content_type": "application/x-protobuf",
                  "body_base64": base64.b64encode(disrupted).decode()})
    at = START + timedelta(minutes=14)
    warning = cap_alert("BE-KMI-0750", at, at + timedelta(hours=4), severity="Severe", geocode="BE100",
                        event_fr="Vent violent", headline_fr="Avertissement orange : vent violent",
                        headline_en="Orange warning: strong wind", sender="meteo@meteo.example.be",
                        awareness="3; orange; Severe")
    lines.append({"at": at.isoformat(), "feed": "cap", "content_type": "application/cap+xml",
                  "body": warning.decode()})
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def test_the_city_passes_check() -> None:
    assert main(["check", "--config", str(CITY)]) == 0


def test_a_recorded_morning_shows_each_panel_in_its_language(tmp_path: Path) -> None:
    morning = tmp_path / "morning.jsonl"
    recorded_morning(morning)
    done = subprocess.run([sys.executable, "-m", "signage", "replay", "--config", str(CITY), str(morning)],
                          capture_output=True, text=True, timeout=120, check=True)
    shown: dict[str, list[str]] = {}
    for record in map(json.loads, done.stdout.splitlines()):
        if record["kind"] == "delivery" and record["channel"] == "panel":
            content = record["content"]
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
            shown.setdefault(record["target"], []).append(text)
        assert record["kind"] != "error", record
    assert any("Midi VOLZET" in text for text in shown["midi"])  # Gare du Midi speaks Dutch
    assert any("Midi COMPLET" in text for text in shown["rogier"])  # Place Rogier, French
    assert any("TRAM 81 PERTURBÉ" in text for text in shown["flagey"])
    assert "WAARSCHUWING" in shown["midi"][-1] and "ALERTE" in shown["flagey"][-1]  # the region's warning


async def test_the_app_and_a_kiosk_speak_dutch_in_the_browser(tmp_path: Path, browser: Any) -> None:
    port = free_port()
    env = {"SIGNAGE_SQLITE_PATH": str(tmp_path / "store.sqlite3")}
    token = feed_token("ngsi", env, str(CITY))
    with signage_process(["serve", "--config", str(CITY), "--role", "all", "--port", str(port)], port, env,
                         tmp_path):
        import urllib.request

        now = datetime.now(UTC)
        for park, free in (("rogier", 0), ("midi", 35)):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/feeds/ngsi",
                                             data=parking_notification(PARKS[park], free, now),
                                             headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request) as response:
                assert response.status == 202
        context = await browser.new_context(locale="nl-BE", viewport={"width": 390, "height": 844})
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{port}/")
        assert await page.get_attribute("html", "lang") == "nl"
        await page.wait_for_selector("[data-park=rogier] .free")
        assert "VOLZET" in await page.inner_text("[data-park=rogier]")
        assert "35 vrije plaatsen" in await page.inner_text("[data-park=midi]")
        assert await page.inner_text("#language") == "English"  # the city's next language after Dutch
        await page.click("#language")
        assert await page.get_attribute("html", "lang") == "en"
        await page.click("#language")
        assert await page.get_attribute("html", "lang") == "fr"
        assert "COMPLET" in await page.inner_text("[data-park=rogier]")
        kiosk = await context.new_page()
        await kiosk.goto(f"http://127.0.0.1:{port}/kiosk/centrale")
        await until(kiosk, "document.body.innerText.includes('Rogier VOLZET')")  # a kiosk set to Dutch
        await until(kiosk, "document.body.innerText.includes('bijgewerkt')")
        await context.close()
