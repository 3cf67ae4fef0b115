"""Push payloads: never over the 3,993 bytes that RFC 8291 leaves, cut on a character, with an ellipsis."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from renderers.push import MAX_PLAINTEXT, push_payload


def test_a_short_notification_is_sent_whole() -> None:
    raw = push_payload(title="Parking Darcy", body="15 places", url="/parking/darcy", tag="parking/darcy",
                       language="fr", severity=None)
    assert json.loads(raw) == {"title": "Parking Darcy", "body": "15 places", "icon": "/static/icon-192.png",
                               "url": "/parking/darcy", "tag": "parking/darcy", "lang": "fr"}


def test_a_long_body_is_cut_on_a_character_boundary_with_an_ellipsis() -> None:
    body = "Vigilance orange : vent violent, rafales à 110 km/h 🌬️ " * 200
    raw = push_payload(title="ALERTE", body=body, url="/alerts", tag="alert:1", language="fr", severity="severe")
    assert len(raw) <= MAX_PLAINTEXT
    assert len(raw) > MAX_PLAINTEXT - 8  # as much text as fits, not a timid cut
    payload = json.loads(raw.decode("utf-8"))  # valid UTF-8 and valid JSON
    assert payload["body"].endswith("…") and body.startswith(payload["body"][:-1].rstrip())
    assert payload["title"] == "ALERTE" and payload["severity"] == "severe"


def test_a_huge_title_is_cut_too_and_the_body_dropped() -> None:
    raw = push_payload(title="é" * 5000, body="x" * 10, url="/", tag="t", language="fr")
    payload = json.loads(raw)
    assert len(raw) <= MAX_PLAINTEXT and payload["title"].endswith("…") and payload["body"] == ""


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=3000), st.text(max_size=6000))
def test_any_text_fits_and_stays_valid(title: str, body: str) -> None:
    raw = push_payload(title=title, body=body, url="/x", tag="t", language="en")
    assert len(raw) <= MAX_PLAINTEXT
    payload = json.loads(raw.decode("utf-8"))
    if payload["body"] != body:  # cut with an ellipsis, or dropped when the title alone fills the payload
        assert payload["body"].endswith("…") or (payload["body"] == "" and payload["title"].endswith("…"))
