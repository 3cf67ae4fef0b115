"""A recorded Dijon morning replayed: exactly the deliveries a person would expect, stated here.

The fixture (tests/fixtures/dijon-morning.jsonl, built by make_dijon_morning.py) is Thursday 26 November 2026
from 06:50 to 09:30 in Paris; times below are UTC (Paris is UTC+1).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dijon-morning.jsonl"


def replay() -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "signage", "replay", "--config", "demo", str(FIXTURE)],
                          capture_output=True, text=True, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def deliveries(records: list[dict[str, Any]], target: str) -> list[tuple[str, Any]]:
    return [(r["at"][11:19], r["content"]) for r in records if r["kind"] == "delivery" and r["target"] == target
            and r["channel"] != "push"]


def test_the_morning_produces_exactly_the_expected_deliveries() -> None:
    records = replay()
    assert [r for r in records if r["kind"] == "error"] == []

    darcy = deliveries(records, "darcy")
    # Before anything arrives, the panel shows its default; then each reading updates the three counts.
    assert darcy[:4] == [
        ("05:50:00", "[jl3]Dijon Métropole[nl]Place Darcy"),
        ("05:50:00", "[jl3]Darcy 420 pl[nl]Dauphine --[nl]Grangier --"),
        ("05:50:00", "[jl3]Darcy 420 pl[nl]Dauphine 520 pl[nl]Grangier --"),
        ("05:50:00", "[jl3]Darcy 420 pl[nl]Dauphine 520 pl[nl]Grangier 330 pl"),
    ]
    # The weather warning pre-empts everything from 07:30 (Darcy's redirect, which fires at 08:17, never
    # reaches this face); its update replaces it; when it is lifted, poor air (ATMO 4) outranks the car parks.
    assert darcy[-6:] == [
        ("06:30:00", "[jl3]Darcy 140 pl[nl]Dauphine 390 pl[nl]Grangier 160 pl"),
        ("06:30:00", "[jl3]Darcy 140 pl[nl]Dauphine 370 pl[nl]Grangier 160 pl"),
        ("06:30:00", "[jl3]Darcy 140 pl[nl]Dauphine 370 pl[nl]Grangier 130 pl"),
        ("06:30:50", "[jl3]ALERTE[nl]Vigilance orange[nl]vent violent"),
        ("07:15:50", "[jl3]ALERTE[nl]Vent violent :[nl]rafales 110 km/h"),
        ("08:10:50", "[jl3]AIR MAUVAIS[nl]Indice ATMO 4/6[nl]Limitez les efforts"),
    ]
    assert len(darcy) == 31

    pushes = [(r["at"][11:19], r["target"], r["content"]["title"], r["content"]["body"]) for r in records
              if r["kind"] == "delivery" and r["channel"] == "push"]
    assert pushes == [
        ("06:30:50", "alerts/cote-d-or", "ALERTE VENT VIOLENT", "ALERTE Vigilance orange vent violent"),
        ("07:15:50", "alerts/cote-d-or", "ALERTE VENT VIOLENT", "ALERTE Vent violent : rafales 110 km/h"),
        # Darcy under 15 places for the two minutes its rule asks; later count changes do not push again
        # within the rule's hour.
        ("07:17:00", "parking/darcy", "Darcy complet", "P Darcy COMPLET -> Dauphine 200 pl"),
        ("08:00:30", "air/dijon-metropole", "Qualité de l'air : Mauvais",
         "AIR MAUVAIS Indice ATMO 4/6 Limitez les efforts"),
    ]

    ended = [(r["at"][11:19], r["id"], r["reason"]) for r in records if r["kind"] == "expired"]
    assert ended == [
        ("07:10:45", "rule:tram-t1", "cleared: when is false"),
        ("07:15:50", "alert:FR-MF-20261126-0730", "updated by FR-MF-20261126-0815"),
        ("08:00:00", "rule:darcy-full", "cleared: clear_when is true"),
        ("08:10:50", "alert:FR-MF-20261126-0815", "cancelled by FR-MF-20261126-0910"),
    ]

    waste = [(at, c["filling"], c["next_collection"]) for at, c in deliveries(records, "waste/rue-monge")]
    assert waste == [("05:55:15", 0.92, "2026-11-26T06:30:00.000Z"),
                     ("06:35:15", 0.04, "2026-12-03T06:30:00.000Z")]

    tram = [(at, c["disrupted"]) for at, c in deliveries(records, "transit/t1")]
    assert tram[0] == ("06:40:45", True) and ("07:10:45", False) in tram
    assert all(disrupted for at, disrupted in tram if at < "07:10:45")

    alerts = [(at, [a["id"] for a in c["alerts"]]) for at, c in deliveries(records, "alerts/cote-d-or")]
    assert alerts == [("06:30:50", ["FR-MF-20261126-0730"]), ("07:15:50", ["FR-MF-20261126-0815"]),
                      ("08:10:50", [])]


GOLDEN = FIXTURE.with_name("dijon-morning.explain.jsonl")


def test_the_morning_explained_is_the_same_byte_for_byte() -> None:
    """``signage replay --explain`` of the recorded morning, kept as it was: any change of behaviour (a record, a
    reason, an order) shows here. After an intended change, write the file again and read the difference
    before committing it: ``signage replay --config demo --explain tests/fixtures/dijon-morning.jsonl >
    tests/fixtures/dijon-morning.explain.jsonl``. The rules' configuration lines are in it: an edit of the demo's
    configuration that moves them changes only those."""
    done = subprocess.run([sys.executable, "-m", "signage", "replay", "--config", "demo", "--explain", str(FIXTURE)],
                          capture_output=True, text=True, timeout=120, check=True)
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    produced = done.stdout.splitlines()
    first = next((n for n, (a, b) in enumerate(zip(expected, produced, strict=False)) if a != b), None)
    assert first is None and len(produced) == len(expected), (
        f"line {first and first + 1}: expected {expected[first] if first is not None else len(expected)}, "
        f"got {produced[first] if first is not None else len(produced)}")
