"""Rules over time: debounce, hysteresis, dayparting across DST, cooldown, staleness, push policy, explain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from signage.config import Config, load_config
from signage.model import Alert, Observation
from signage.pipeline import Pipeline

CONFIG = """\
city: Testville
timezone: Europe/Paris
zones:
  - {id: centre, name: Centre, codes: ["INSEE:99999"]}
panels:
  - {id: led, name: LED, place: Here, lat: 47.3, lon: 5.0, zone: centre, profile: char-3x20, tags: [parking]}
  - {id: kiosk, name: Kiosk, place: There, lat: 47.3, lon: 5.0, zone: centre, profile: kiosk-1080p}
feeds:
  - {id: ngsi, format: ngsi-v2, max_age: 30m, auth: token}
topics:
  - {pattern: "parking/*", title: Car parks}
  - {pattern: "alerts/*", title: Alerts, push: {min_interval: 1m}}
push: {quiet_hours: "22:00-07:00", min_interval: 30m}
rules:
  - id: almost-full
    description: Darcy almost full, debounced, with hysteresis.
    when: 'state["parking/darcy"].free < 20'
    clear_when: 'state["parking/darcy"].free > 40'
    for: 5m
    cooldown: 10m
    then:
      template: parking-single
      params: {name: '"Darcy"', free: 'state["parking/darcy"].free'}
      targets: {tags: [parking], topics: [parking/darcy]}
      channels: [panels, kiosks, websocket, push]
      priority: 70
  - id: feed-down
    description: Says so when the car park's count is stale.
    when: 'state["parking/darcy"].stale'
    then:
      template: parking-single
      params: {name: '"Darcy"', free: 'null'}
      targets: {panels: [kiosk]}
      priority: 80
  - id: morning-only
    description: Weekday mornings, a rule in the rule lane.
    when: 'state["parking/monge"].free >= 0'
    schedule: {days: [mon, tue, wed, thu, fri], windows: ["07:00-10:00"]}
    then:
      template: parking-single
      params: {name: '"Monge"', free: 'state["parking/monge"].free'}
      targets: {panels: [kiosk]}
      priority: 50
  - id: just-changed
    when: '"parking/tivoli" in event.keys'
    then:
      template: parking-single
      params: {name: '"Tivoli"', free: 'state["parking/tivoli"].free'}
      targets: {panels: [kiosk]}
      priority: 10
scheduled:
  - id: christmas-market
    description: Scheduled content in December evenings.
    schedule: {dates: ["2026-12-01..2026-12-24"], windows: ["17:00-22:00"]}
    then:
      template: default
      params: {city: '"Marché de Noël"', panel: '"Place François Rude"', place: '""'}
      targets: {everywhere: true}
      priority: 50
languages: [fr, en]
"""

# Wednesday 25 November 2026, 09:00 in Paris.
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "city.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


def darcy(pipeline: Pipeline, free: int, at: datetime):  # type: ignore[no-untyped-def]
    return pipeline.ingest([Observation("parking/darcy", {"free": free}, at, "ngsi")], [], at)


def led(pipeline: Pipeline) -> str:
    return str(pipeline.contents["led"]["multi"])


def test_for_fires_only_after_the_condition_held_long_enough(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 15, T0)
    assert "rule:almost-full" not in pipeline.messages
    assert "fires at 2026-11-25T08:05:00.000Z" in pipeline.outcomes["almost-full"].reason
    outcome = pipeline.advance(T0 + timedelta(minutes=5))
    assert [(r.kind, r.at) for r in outcome.records if r.kind == "message"] == [("message", T0 + timedelta(minutes=5))]
    assert led(pipeline) == "[jl3]P Darcy[nl]15 places"


def test_a_condition_that_stops_holding_before_for_never_fires(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 15, T0)
    darcy(pipeline, 30, T0 + timedelta(minutes=3))
    pipeline.advance(T0 + timedelta(minutes=10))
    assert "rule:almost-full" not in pipeline.messages


def test_hysteresis_a_car_park_hovering_at_the_threshold_does_not_flap(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 15, T0)
    pipeline.advance(T0 + timedelta(minutes=5))
    changes = []
    for minute, free in enumerate([22, 19, 25, 38, 21], start=6):
        outcome = darcy(pipeline, free, T0 + timedelta(minutes=minute))
        changes += [r.kind for r in outcome.records if r.kind in ("message", "expired")]
    assert "rule:almost-full" in pipeline.messages
    assert "expired" not in changes  # updated counts, but never withdrawn and re-shown
    outcome = darcy(pipeline, 45, T0 + timedelta(minutes=12))
    assert [r.data["reason"] for r in outcome.records if r.kind == "expired"] == ["cleared: clear_when is true"]


def test_cooldown_keeps_a_cleared_rule_quiet_then_it_may_fire_again(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 15, T0)
    pipeline.advance(T0 + timedelta(minutes=5))
    darcy(pipeline, 50, T0 + timedelta(minutes=6))  # cleared at 08:06: cooling down until 08:16
    darcy(pipeline, 10, T0 + timedelta(minutes=7))
    assert "cooling down until 2026-11-25T08:16:00.000Z" in pipeline.outcomes["almost-full"].reason
    pipeline.advance(T0 + timedelta(minutes=16))  # the cooldown ends; the 5-minute debounce starts
    assert "rule:almost-full" not in pipeline.messages
    pipeline.advance(T0 + timedelta(minutes=21))
    assert "rule:almost-full" in pipeline.messages


def test_a_rule_can_test_staleness_explicitly(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 100, T0)
    assert "rule:feed-down" not in pipeline.messages
    outcome = pipeline.advance(T0 + timedelta(minutes=30))
    assert [r.data["id"] for r in outcome.records if r.kind == "message"] == ["rule:feed-down"]
    assert pipeline.contents["kiosk"]["pages"][0]["lines"] == ["P Darcy", "indisponible"]


def test_schedule_windows_open_and_close_on_time(config: Config) -> None:
    pipeline = Pipeline(config)
    early = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)  # 06:30 in Paris
    pipeline.start(early)
    pipeline.ingest([Observation("parking/monge", {"free": 80}, early + timedelta(minutes=20), "ngsi")], [],
                    early + timedelta(minutes=20))
    assert pipeline.outcomes["morning-only"].reason == "outside its schedule until 2026-11-25T06:00:00.000Z"
    pipeline.advance(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    assert "rule:morning-only" in pipeline.messages
    fresh = datetime(2026, 11, 25, 8, 45, tzinfo=UTC)
    pipeline.ingest([Observation("parking/monge", {"free": 60}, fresh, "ngsi")], [], fresh)
    outcome = pipeline.advance(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 10:00 in Paris
    assert [(r.data["id"], r.at.hour) for r in outcome.records if r.kind == "expired"] == [("rule:morning-only", 9)]


def test_schedule_follows_daylight_saving_time(config: Config) -> None:
    rule = next(r for r in config.rules if r.id == "morning-only")
    assert rule.schedule is not None
    friday_winter = datetime(2026, 3, 27, 6, 0, tzinfo=UTC)  # 07:00 CET
    monday_summer = datetime(2026, 3, 30, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert rule.schedule.contains(friday_winter)
    assert not rule.schedule.contains(monday_summer - timedelta(seconds=1))
    assert rule.schedule.contains(monday_summer)
    assert rule.schedule.next_change(datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == monday_summer


def test_scheduled_content_is_shown_in_its_window_and_pre_empted_by_rules(config: Config) -> None:
    pipeline = Pipeline(config)
    evening = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # 17:30 in Paris
    pipeline.start(evening)
    assert led(pipeline) == "[jl3]Marché de Noël[nl]Place François Rude"
    assert pipeline.decisions["led"].lane.name == "SCHEDULE"
    darcy(pipeline, 5, evening)
    pipeline.advance(evening + timedelta(minutes=5))
    assert led(pipeline) == "[jl3]P Darcy[nl]5 places"
    assert ("rule:christmas-market", "pre-empted by the rule lane") in pipeline.decisions["led"].competing


def test_the_event_that_just_happened_is_visible_to_rules(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    pipeline.ingest([Observation("parking/tivoli", {"free": 3}, T0, "ngsi")], [], T0)
    assert "rule:just-changed" in pipeline.messages
    darcy(pipeline, 100, T0 + timedelta(seconds=1))
    assert "rule:just-changed" not in pipeline.messages


def pushes(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.data["target"] for r in outcome.records if r.kind == "delivery" and r.data["channel"] == "push"]


def test_push_policy_quiet_hours_rate_limit_and_unchanged_messages(config: Config) -> None:
    pipeline = Pipeline(config)
    night = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 23:00 in Paris
    pipeline.start(night)
    darcy(pipeline, 15, night)
    outcome = pipeline.advance(night + timedelta(minutes=5))
    assert "rule:almost-full" in pipeline.messages and pushes(outcome) == []
    assert pipeline.push_gate.log["parking/darcy"]["reason"].startswith("quiet hours")

    day = T0
    pipeline = Pipeline(config)
    pipeline.start(day)
    darcy(pipeline, 15, day)
    assert pushes(pipeline.advance(day + timedelta(minutes=5))) == ["parking/darcy"]
    assert pushes(darcy(pipeline, 14, day + timedelta(minutes=6))) == []  # at most one per 30 min
    assert pipeline.push_gate.log["parking/darcy"]["reason"].startswith("at most one push per 30 min")
    assert pushes(darcy(pipeline, 13, day + timedelta(minutes=20))) == []
    assert pushes(darcy(pipeline, 12, day + timedelta(minutes=36))) == ["parking/darcy"]


def test_severe_alerts_cross_quiet_hours(config: Config) -> None:
    pipeline = Pipeline(config)
    night = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    pipeline.start(night)

    def alert(identifier: str, severity: str) -> Alert:
        return Alert(identifier, "cap", night, "alert", severity, "immediate", "Vent", {"fr": "Vent fort"},
                     {"fr": ""}, ("INSEE:99999",), night + timedelta(hours=3))

    assert pushes(pipeline.ingest([], [alert("A", "moderate")], night)) == []
    outcome = pipeline.ingest([], [alert("B", "severe")], night + timedelta(minutes=1))
    assert pushes(outcome) == ["alerts/centre"]
    push = next(r for r in outcome.records if r.kind == "delivery" and r.data["channel"] == "push")
    assert push.data["content"]["urgency"] == "high" and push.data["content"]["ttl_s"] == 3 * 3600 - 60


def test_explain_says_what_is_shown_why_and_from_which_values(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 15, T0)
    pipeline.advance(T0 + timedelta(minutes=5))
    explanation = pipeline.explain("led", T0 + timedelta(minutes=6))
    assert [m["id"] for m in explanation["shown"]] == ["rule:almost-full"]
    assert explanation["reason"] == "rule message 'rule:almost-full' (priority 70) wins"
    assert [r["id"] for r in explanation["rules"]] == ["almost-full", "christmas-market"]
    assert explanation["rules"][0]["matched"] is True
    assert explanation["rules"][1]["reason"].startswith("outside its schedule until 2026-12-01")
    explanation = pipeline.explain("kiosk", T0 + timedelta(minutes=6))
    rules = {r["id"]: r for r in explanation["rules"]}
    assert rules["feed-down"] == {"id": "feed-down", "description": "Says so when the car park's count is stale.",
                                  "line": 27, "matched": False, "reason": "when is false", "unavailable": []}
    assert rules["morning-only"]["reason"] == "input 'parking/monge' has no value yet"
    values = {v["key"]: v for v in explanation["values"]}
    assert values["parking/darcy"]["age_s"] == 360 and values["parking/darcy"]["source"] == "ngsi"
    assert values["parking/monge"] == {"key": "parking/monge", "missing": True}


def test_a_message_sent_to_a_topic_reaches_its_subscribers_with_the_live_value(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(T0)
    darcy(pipeline, 15, T0)
    outcome = pipeline.advance(T0 + timedelta(minutes=5))
    [document] = [p.data for p in outcome.publications if p.topic == "parking/darcy"]
    assert document["free"] == 15 and document["stale"] is False
    assert [(m["id"], m["title"], m["lines"]) for m in document["messages"]] == [
        ("rule:almost-full", "Parking Darcy", ["P Darcy", "15 places"])]
    outcome = darcy(pipeline, 45, T0 + timedelta(minutes=6))
    [document] = [p.data for p in outcome.publications if p.topic == "parking/darcy"]
    assert document["free"] == 45 and document["messages"] == []  # told once that the message ended
    outcome = darcy(pipeline, 44, T0 + timedelta(minutes=7))
    [document] = [p.data for p in outcome.publications if p.topic == "parking/darcy"]
    assert "messages" not in document
