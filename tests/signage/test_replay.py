"""``signage replay``: deterministic and offline, the design's JSON-lines format in and out."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from signage.demo.payloads import CAR_PARKS, cap_alert, gtfs_rt_alerts, parking_notification
from tests.conftest import SAMPLES

T0 = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
PARKS = {p.id: p for p in CAR_PARKS}


def events_file(tmp_path: Path) -> Path:
    lines: list[Any] = []
    for minute, (park, free) in enumerate([("darcy", 50), ("dauphine", 80), ("grangier", 0), ("darcy", 49)]):
        at = T0 + timedelta(minutes=minute)
        body = json.loads(parking_notification(PARKS[park], free, at))
        lines.append({"at": at.isoformat(), "feed": "ngsi", "body": body})
    at = T0 + timedelta(minutes=5)
    lines.append({"at": at.isoformat(), "feed": "cap", "content_type": "application/cap+xml",
                  "body": cap_alert("A", at, at + timedelta(minutes=3)).decode()})
    lines.append("this line is not JSON")
    lines.append({"at": "2026-11-25T07:06:00", "feed": "ngsi", "body": {}})  # no offset
    at = T0 + timedelta(minutes=7)
    lines.append({"at": at.isoformat(), "feed": "gtfs-rt",
                  "body_base64": base64.b64encode(gtfs_rt_alerts({"T1": "Travaux"}, at)).decode()})
    lines.append({"at": (T0 + timedelta(minutes=30)).isoformat(), "feed": "gtfs-rt",
                  "body_base64": base64.b64encode(
                      (SAMPLES / "gtfs-rt" / "bibus-brest-gtfs-rt-alerts.pb").read_bytes()).decode()})
    lines.append({"at": (T0 + timedelta(minutes=31)).isoformat(), "feed": "ngsi", "body": {"data": "x"}})
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def run_replay(path: Path, *extra: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-m", "signage", "replay", "--config", "demo", *extra, str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_replay_prints_what_happens_and_is_deterministic(tmp_path: Path) -> None:
    path = events_file(tmp_path)
    code, records = run_replay(path)
    assert code == 0
    assert run_replay(path) == (code, records)
    kinds = {r["kind"] for r in records}
    assert {"observation", "message", "delivery", "alert", "expired", "error"} <= kinds
    assert all("at" in r and r["at"].endswith("Z") for r in records)
    assert all("line" in r for r in records if r["kind"] in ("observation", "alert"))
    darcy = [r for r in records if r["kind"] == "delivery" and r["target"] == "darcy"]
    assert darcy[-1]["content"].startswith("[jl3]")
    assert any("Grangier COMPLET" in d["content"] for d in darcy)


def test_bad_lines_are_error_records_with_their_line_and_the_rest_goes_on(tmp_path: Path) -> None:
    code, records = run_replay(events_file(tmp_path))
    errors = {r["line"]: r["reason"] for r in records if r["kind"] == "error"}
    assert code == 0
    assert "not JSON" in errors[6] or "Expecting value" in errors[6]
    assert "no UTC offset" in errors[7]
    assert "feed ngsi" in errors[10] and "data" in errors[10]
    assert any(r["kind"] == "observation" and r.get("line") == 8 for r in records)


def test_time_between_lines_passes_expiries_happen_in_order_at_their_time(tmp_path: Path) -> None:
    _, records = run_replay(events_file(tmp_path))
    alert_end = [r for r in records if r["kind"] == "expired" and r["id"] == "alert:A"]
    assert alert_end == [{"kind": "expired", "at": "2026-11-25T07:08:00.000Z", "id": "alert:A",
                          "reason": "expires"}]
    # Each car park's count ages past the ngsi feed's 10 minutes at its own instant and is then shown as
    # unavailable; when none is current any more (Darcy, read again at 07:03), the message ends.
    darcy_sign = [(r["at"], r["content"]) for r in records if r["kind"] == "delivery" and r["target"] == "darcy"
                  and r["at"] >= "2026-11-25T07:10:00"]
    assert darcy_sign == [
        ("2026-11-25T07:11:00.000Z", "[jl3]Darcy 49 pl[nl]Dauphine --[nl]Grangier COMPLET"),
        ("2026-11-25T07:12:00.000Z", "[jl3]Darcy 49 pl[nl]Dauphine --[nl]Grangier --"),
        ("2026-11-25T07:13:00.000Z", "[jl3]Dijon Métropole[nl]Place Darcy"),
    ]
    stale = [r for r in records if r["kind"] == "expired" and r["id"] == "rule:parking-centre"]
    assert stale == [{"kind": "expired", "at": "2026-11-25T07:13:00.000Z", "id": "rule:parking-centre",
                      "reason": "cleared: every value it shows is stale or missing"}]
    ats = [r["at"] for r in records]
    assert ats == sorted(ats)


def test_until_lets_time_pass_after_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    at = T0
    path.write_text(json.dumps({"at": at.isoformat(), "feed": "cap",
                                "body": cap_alert("A", at, at + timedelta(hours=1)).decode()}) + "\n")
    _, without = run_replay(path)
    _, with_until = run_replay(path, "--until", (at + timedelta(hours=2)).isoformat())
    assert not any(r["kind"] == "expired" for r in without)
    assert [r["id"] for r in with_until if r["kind"] == "expired"] == ["alert:A"]


def test_explain_follows_every_change_of_a_panel_with_why(tmp_path: Path) -> None:
    _, records = run_replay(events_file(tmp_path), "--explain")
    for index, record in enumerate(records):
        if record["kind"] == "delivery" and record["channel"] == "panel":
            follow = [r for r in records[index:] if r["kind"] == "explain" and r["panel"] == record["target"]]
            assert follow and follow[0]["at"] == record["at"]
    alert_time = [r for r in records if r["kind"] == "explain" and r["panel"] == "darcy" and r["lane"] == "alert"]
    assert alert_time and alert_time[0]["shown"][0]["id"] == "alert:A"
    assert {"id": "rule:parking-centre", "why": "pre-empted by the alert lane"} in alert_time[0]["competing"]


def test_replay_accepts_every_format_through_the_demo_feed_ids(tmp_path: Path) -> None:
    import os

    from signage.demo.payloads import (
        datex2_parking,
        noise_reading,
        siri_stop_monitoring,
        waste_notification,
    )
    from signage.feeds.webhook import sign

    at = T0
    noise = noise_reading("darcy-1", "Place Darcy", 61.0, at)
    lines = [
        {"feed": "ngsi", "body": json.loads(parking_notification(PARKS["darcy"], 50, at))},
        {"feed": "ngsi-ld", "body": json.loads(waste_notification("rue-monge", "Rue Monge", at, 0.5, at))},
        {"feed": "gtfs-rt", "body_base64": base64.b64encode(gtfs_rt_alerts({"T2": "Travaux"}, at)).decode()},
        {"feed": "siri", "body": siri_stop_monitoring("DARCY", [("T1", "Quetigny", at)], at).decode()},
        {"feed": "cap", "body": cap_alert("Z", at, at + timedelta(hours=1)).decode()},
        {"feed": "datex2", "body": datex2_parking([(PARKS["clemenceau"], 20)], at).decode()},
        {"feed": "mqtt", "topic": "dijon/parking/monge/state", "body": {"free": 12}},
        {"feed": "webhook", "body": noise.decode(), "headers": {"X-Signature": sign("s", int(at.timestamp()), noise)}},
    ]
    path = tmp_path / "formats.jsonl"
    path.write_text("".join(json.dumps({"at": at.isoformat(), **line}) + "\n" for line in lines))
    done = subprocess.run([sys.executable, "-m", "signage", "replay", "--config", "demo", str(path)],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "SIGNAGE_WEBHOOK_SECRET": "s"})
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r for r in records if r["kind"] == "error"] == []
    lines_seen = {r["line"] for r in records if r["kind"] in ("observation", "alert")}
    assert lines_seen == set(range(1, len(lines) + 1))
    keys = {r["key"] for r in records if r["kind"] == "observation"}
    assert {"parking/darcy", "waste/rue-monge", "transit/t2", "departures/darcy", "parking/clemenceau",
            "parking/monge", "noise/darcy-1"} <= keys


def test_a_replay_read_only_in_part_ends_quietly() -> None:
    """``signage replay … | head -1``: the reader goes away after one line; no traceback, exit 0."""
    morning = Path(__file__).resolve().parents[1] / "fixtures" / "dijon-morning.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "signage", "replay", "--config", "demo", str(morning)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as head does once it has its line
    errors = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 0
    assert json.loads(first)["kind"] and "Traceback" not in errors and "BrokenPipe" not in errors, errors
