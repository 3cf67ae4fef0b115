"""The console says in French what the engine explains in its own words: every sentence of a recorded morning's
explanations, and the refusals a sign gives, are translated; instants read on the city's clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signage.web.console_words import audit_sentence, city_clock, in_words, local_time

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"@": city_clock("Europe/Paris"), "parking/darcy": "Darcy", "broadcast:1": "Marché de Noël"}


def explained_sentences() -> set[str]:
    sentences = set()
    for line in (ROOT / "tests" / "fixtures" / "dijon-morning.explain.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["kind"] != "explain":
            continue
        sentences.add(record["reason"])
        sentences |= {c["why"] for c in record["competing"]} | {r["reason"] for r in record["rules"]}
    return sentences


def test_every_sentence_of_a_recorded_morning_is_said_in_french() -> None:
    sentences = explained_sentences()
    assert len(sentences) > 10
    untranslated = [s for s in sentences
                    if any(part == said for part, said in zip(s.split("; "), in_words(s, NAMES).split(" ; "),
                                                              strict=False))]
    assert untranslated == []


@pytest.mark.parametrize(("engine", "console"), [
    ("operator message 'broadcast:1' (priority 60) wins", "« Marché de Noël » (diffusion, priorité 60) l'emporte"),
    ("does not fit this sign: the word 'Anticonstitutionnellement' is 25 characters wide; a line of char-3x20 "
     "holds 20", "ne tient pas sur ce panneau : le mot « Anticonstitutionnellement » fait 25 caractères ; une ligne "
                 "de ce panneau en tient 20"),
    ("pre-empted by the alert lane", "devancé par la voie alerte"),
    ("lower priority (40 < 60)", "priorité plus basse (40 < 60)"),
    ("input 'parking/darcy' is stale (700 s old)", "« Darcy » est périmée (reçue il y a 700 s)"),
    ("something new", "something new"),  # unknown: shown as the engine wrote it, never hidden
])
def test_the_engine_s_sentences_in_the_console_s_words(engine: str, console: str) -> None:
    assert in_words(engine, NAMES) == console


def test_instants_are_read_on_the_city_s_clock() -> None:
    assert local_time("2026-11-26T08:41:00.000Z", "Europe/Paris") == "26/11/2026 09:41"
    assert local_time("2026-07-01T08:41:00.000Z", "Europe/Paris", with_date=False) == "10:41"
    assert local_time(None, "Europe/Paris") == "—"


def test_an_audit_entry_is_a_sentence_with_names() -> None:
    entry = {"action": "broadcast.start", "target": "broadcast:1",
             "detail": {"params": {"title": "Marché de Noël"}, "targets": {"zones": ["dijon-centre"]}}}
    assert audit_sentence(entry, {"dijon-centre": "Dijon centre-ville"}) == \
        "a diffusé « Marché de Noël » sur Dijon centre-ville"
    published = {"action": "template.approve", "target": "parking-guidance:000003", "detail": {}}
    assert audit_sentence(published, {"parking-guidance": "Guidage parkings"}) == \
        "a approuvé et publié la version 3 du modèle « Guidage parkings »"
