from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signage.model import Observation, RuleConfig, Targets
from signage.rules import RuleBook, RuleProblem, compile_expression, state_keys
from signage.state import LiveState

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def rule(rule_id: str, when: str, params: dict[str, str] | None = None) -> RuleConfig:
    return RuleConfig(rule_id, when, "default", params or {}, Targets(everywhere=True), ("panels",), 50, None, 1)


def live(**free: int) -> LiveState:
    state = LiveState({"ngsi": timedelta(minutes=10)}, timedelta(minutes=10))
    for name, value in free.items():
        state.apply(Observation(f"parking/{name}", {"free": value}, T0, "ngsi"))
    return state


def test_a_rule_fires_with_its_parameters_when_its_expression_holds() -> None:
    book = RuleBook([rule("darcy-low", 'state["parking/darcy"].free < 20 && now.hour >= 7',
                          {"free": 'state["parking/darcy"].free'})])
    outcome = book.evaluate("darcy-low", live(darcy=12), T0)
    assert outcome.matched and outcome.params == {"free": 12}
    assert not book.evaluate("darcy-low", live(darcy=40), T0).matched


def test_time_is_read_in_the_city_time_zone() -> None:
    book = RuleBook([rule("morning", "now.hour == 9")], "Europe/Paris")
    assert book.evaluate("morning", live(), T0).matched


def test_a_rule_does_not_fire_on_a_stale_value_and_says_why() -> None:
    book = RuleBook([rule("darcy-low", 'state["parking/darcy"].free < 20')])
    outcome = book.evaluate("darcy-low", live(darcy=3), T0 + timedelta(minutes=11))
    assert not outcome.matched and "stale" in outcome.reason


def test_a_missing_input_is_a_reason_not_a_crash() -> None:
    book = RuleBook([rule("darcy-low", 'state["parking/darcy"].free < 20')])
    outcome = book.evaluate("darcy-low", live(), T0)
    assert not outcome.matched and "no value yet" in outcome.reason


def test_only_rules_reading_a_changed_key_are_woken() -> None:
    book = RuleBook([
        rule("a", 'state["parking/darcy"].free < 20'),
        rule("b", "state['parking/monge'].free < 20"),
        rule("clock", "now.hour > 6"),
    ])
    assert book.affected_by(["parking/darcy"]) == ["a", "clock"]
    assert book.affected_by(["parking/monge"]) == ["b", "clock"]


def test_expressions_are_compiled_at_load_and_errors_are_clear() -> None:
    assert state_keys('state["a/b"].x > 1 && state[\'c/d\'].y') == {"a/b", "c/d"}
    with pytest.raises(RuleProblem, match="invalid CEL"):
        compile_expression("1 +")
    with pytest.raises(RuleProblem, match="longer than"):
        compile_expression("1 + " * 2000 + "1")
