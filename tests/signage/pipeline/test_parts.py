"""The pipeline's parts, each on its own: when a rule fires (its table of moves), the alerts in force, the push
gate, the panels' board, the public topics, and a "why" that changes nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signage.config import Config, load_config
from signage.model import Alert, Lane, Message, Observation, Targets
from signage.pipeline import Pipeline
from signage.pipeline.alert_book import AlertBook
from signage.pipeline.panel_board import PanelBoard, default_content
from signage.pipeline.push_gate import PushGate
from signage.pipeline.rule_runtime import MOVES, Action, RuleEvent, RuleRuntime, RuleState
from signage.pipeline.texts import Texts
from signage.pipeline.topic_publisher import TopicPublisher
from signage.rules import RuleBook
from signage.state import LiveState
from tests.signage.test_rule_lifecycle import CONFIG

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # a Thursday, 09:00 in Paris


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("parts") / "city.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


def test_every_state_has_a_move_for_every_event() -> None:
    assert set(MOVES) == set(itertools.product(RuleState, RuleEvent))
    assert MOVES[(RuleState.ACTIVE, RuleEvent.FAILS)] == (RuleState.COOLING, Action.CLEAR)
    assert all(action is not Action.FIRE for (state, _), (_, action) in MOVES.items() if state is RuleState.COOLING)


def darcy(free: int, at: datetime) -> Observation:
    return Observation("parking/darcy", {"free": free}, at, "ngsi")


def test_a_rule_holds_for_its_for_fires_clears_and_cools_down(config: Config) -> None:
    rules = RuleBook(config.rules, config.timezone)
    runtime, state = RuleRuntime(rules), LiveState({"ngsi": timedelta(minutes=30)}, timedelta(minutes=30))
    state.apply(darcy(10, NOW))
    first = runtime.step("almost-full", state, NOW, False, None)
    assert (first.state, first.action) == (RuleState.PENDING, Action.WAIT)
    assert "fires at" in first.outcome.reason and runtime.wake_at("almost-full") == NOW + timedelta(minutes=5)
    assert runtime.due(NOW + timedelta(minutes=5)) == ["almost-full"]
    fired = runtime.step("almost-full", state, NOW + timedelta(minutes=5), False, None)
    assert (fired.state, fired.action) == (RuleState.ACTIVE, Action.FIRE)
    message = runtime.message("almost-full", fired.outcome, None, NOW + timedelta(minutes=5))
    assert message.id == "rule:almost-full" and message.params["free"] == 10
    state.apply(darcy(50, NOW + timedelta(minutes=6)))
    cleared = runtime.step("almost-full", state, NOW + timedelta(minutes=6), True, None)
    assert (cleared.state, cleared.action) == (RuleState.COOLING, Action.CLEAR) and cleared.reason.startswith("cleared")
    state.apply(darcy(5, NOW + timedelta(minutes=7)))
    cooling = runtime.step("almost-full", state, NOW + timedelta(minutes=7), False, None)
    assert (cooling.state, cooling.action) == (RuleState.COOLING, Action.WAIT)
    assert "cooling down until" in cooling.outcome.reason and not cooling.outcome.matched


def alert(identifier: str, msg_type: str = "alert", references: tuple[str, ...] = (),
          zones: tuple[str, ...] = ("INSEE:99999",), expires: datetime | None = None) -> Alert:
    return Alert(identifier, "cap", NOW, msg_type, "severe", "immediate", "Vent", {"fr": "Vent violent"}, {},
                 zones, expires or NOW + timedelta(hours=2), references)


def test_the_alert_book_resolves_zones_and_lets_an_update_replace_what_it_references(config: Config) -> None:
    book = AlertBook(config)
    first = book.take(alert("A1"), NOW)
    assert first.zones == ("centre",) and first.shown is not None and first.shown.lane is Lane.ALERT
    assert first.shown.targets.topics == ("alerts/centre",) and first.touched == ["centre"]
    update = book.take(alert("A2", "update", ("A1",)), NOW)
    assert update.withdrawn == [("alert:A1", "updated by A2")] and set(book.alerts) == {"A2"}
    assert [a["id"] for a in book.document("centre")["alerts"]] == ["A2"]
    nowhere = book.take(alert("A3", zones=("NUTS3:XX000",)), NOW)
    assert nowhere.shown is None and nowhere.refusal is not None and nowhere.refusal[0] == "ignored"
    late = book.take(alert("A4", expires=NOW - timedelta(minutes=1)), NOW)
    assert late.refusal is not None and late.refusal[0] == "expired"
    cancel = book.take(alert("A5", "cancel", ("A2",)), NOW)
    assert cancel.shown is None and book.alerts == {} and book.document("centre")["alerts"] == []


def test_the_push_gate_keeps_quiet_hours_its_interval_and_never_repeats(config: Config) -> None:
    gate, texts = PushGate(config), Texts(config.templates)
    message = Message("rule:x", Lane.RULE, 50, "parking-single", {"name": "Darcy", "free": 3},
                      Targets(topics=("parking/darcy",)), ("push",), NOW, None, "rule x")

    def decide(at: datetime, which: Message = message) -> dict[str, Any] | None:
        return gate.decide(which, "parking/darcy", None, texts.of(which, "fr"), lambda lang: texts.of(which, lang),
                           at)

    night = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
    assert decide(night) is None and "quiet hours" in gate.log["parking/darcy"]["reason"]
    sent = decide(NOW)
    assert sent is not None and sent["texts"].keys() == {"fr", "en"} and gate.log["parking/darcy"]["sent"]
    assert decide(NOW + timedelta(hours=1)) is None and "unchanged" in gate.log["parking/darcy"]["reason"]
    other = Message("rule:x", Lane.RULE, 50, "parking-single", {"name": "Darcy", "free": 2},
                    Targets(topics=("parking/darcy",)), ("push",), NOW, None, "rule x")
    assert decide(NOW + timedelta(minutes=5), other) is None
    assert "at most one push per 30 min" in gate.log["parking/darcy"]["reason"]
    urgent = Message("alert:y", Lane.ALERT, 90, "alert", {"headline": {"fr": "Crue"}, "event": "Crue",
                                                          "events": {}, "description": {}, "severity": "severe"},
                     Targets(topics=("parking/darcy",)), ("push",), NOW, None, "cap", "severe")
    assert decide(night, urgent) is not None  # severe alerts cross quiet hours


def test_the_board_resolves_again_only_where_the_face_may_change_and_why_changes_nothing(config: Config) -> None:
    board, texts = PanelBoard(config), Texts(config.templates)
    messages: dict[str, Message] = {}
    board.everything_changed()
    assert {c.panel_id for c in board.refresh("t0", messages, texts.of)} == {"led", "kiosk"}
    high = Message("op:1", Lane.OPERATOR, 80, "operator", {"title": "Concert", "line1": "", "line2": "",
                                                           "line3": "", "line4": ""},
                   Targets(panels=("led",)), ("panels", "kiosks"), NOW, None, "console")
    messages[high.id] = high
    board.shown(None, high)
    [change] = list(board.refresh("t1", messages, texts.of))
    assert change.panel_id == "led" and change.content is not None and "Concert" in change.content["multi"]
    low = Message("rule:low", Lane.RULE, 10, "default", {"panel": "LED", "place": "Here", "city": "T"},
                  Targets(panels=("led",)), ("panels",), NOW, None, "rule low")
    messages[low.id] = low
    board.shown(None, low)  # a loser: the face cannot change, only the "why" of the competition
    assert list(board.refresh("t2", messages, texts.of)) == []
    before = board.decisions["led"]
    why = board.decision("led", messages)
    assert why is not None and [m for m, _ in why.competing] == ["rule:low"]
    assert board.decisions["led"] is before  # explaining changed nothing
    assert default_content(config, "led", "engine not reached yet: default")["lane"] == "default"


def test_a_message_a_sign_cannot_hold_leaves_it_showing_what_came_next_never_blank(config: Config) -> None:
    board, texts = PanelBoard(config), Texts(config.templates)
    rule = Message("rule:parking", Lane.RULE, 50, "default", {"panel": "LED", "place": "Here", "city": "T"},
                   Targets(panels=("led",)), ("panels",), NOW, None, "rule")
    messages = {rule.id: rule}
    board.shown(None, rule)
    list(board.refresh("t0", messages, texts.of))
    before = board.contents["led"]
    huge = Message("broadcast:1", Lane.OPERATOR, 60, "operator",
                   {"title": "Anticonstitutionnellement", "line1": "", "line2": "", "line3": "", "line4": ""},
                   Targets(panels=("led",)), ("panels", "kiosks"), NOW, None, "console")
    messages[huge.id] = huge
    board.shown(None, huge)
    [change] = list(board.refresh("t1", messages, texts.of))
    assert change.content is None  # the sign keeps showing the rule's message, unchanged
    assert board.contents["led"]["multi"] == before["multi"] != ""
    decision = board.decisions["led"]
    assert [m.id for m in decision.shown] == ["rule:parking"]
    assert dict(decision.competing)["broadcast:1"].startswith("does not fit this sign: the word")
    assert any("broadcast:1" in p for p in change.problems)
    [refusal] = board.unfit("led")
    assert (refusal["message"], refusal["code"], refusal["room"]) == ("broadcast:1", "word_too_wide", 20)
    assert list(board.refresh("t2", messages, texts.of)) == []  # nothing else moved


def test_topics_publish_public_values_once_and_the_index_when_it_grows(config: Config) -> None:
    topics, state = TopicPublisher(["parking/*"]), LiveState({"ngsi": timedelta(minutes=30)}, timedelta(minutes=30))
    state.apply(darcy(12, NOW))
    state.apply(Observation("noise/a", {"db": 60}, NOW, "ngsi"))
    topics.changed("parking/darcy")
    topics.changed("noise/a")
    documents, index = topics.flush(NOW, state, lambda m: {"id": m})
    assert [t for t, _ in documents] == ["parking/darcy"] and index == {"topics": ["parking/darcy"]}
    topics.changed("parking/darcy")
    documents, index = topics.flush(NOW, state, lambda m: {"id": m})
    assert [t for t, _ in documents] == ["parking/darcy"] and index is None


def test_the_pipeline_explains_without_changing_what_it_decided(config: Config) -> None:
    pipeline = Pipeline(config)
    pipeline.start(NOW)
    pipeline.ingest([darcy(10, NOW)], [], NOW)
    decisions = dict(pipeline.decisions)
    pipeline.explain("led", NOW)
    assert pipeline.decisions == decisions
