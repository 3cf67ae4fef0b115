from __future__ import annotations

from datetime import UTC, datetime, timedelta

from signage.model import Observation
from signage.state import LiveState

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def state() -> LiveState:
    return LiveState({"ngsi": timedelta(minutes=10)}, timedelta(minutes=15))


def test_a_partial_update_keeps_the_fields_it_did_not_carry() -> None:
    live = state()
    live.apply(Observation("parking/darcy", {"free": 10, "capacity": 567}, T0, "ngsi"))
    live.apply(Observation("parking/darcy", {"free": 8}, T0 + timedelta(minutes=1), "ngsi"))
    value = live.get("parking/darcy")
    assert value is not None and dict(value.fields) == {"free": 8, "capacity": 567}


def test_a_value_turns_stale_at_its_feeds_max_age_and_is_reported_once() -> None:
    live = state()
    live.apply(Observation("parking/darcy", {"free": 10}, T0, "ngsi"))
    live.apply(Observation("air/dijon", {"index": 2}, T0, "other-feed"))
    assert live.next_stale_at() == T0 + timedelta(minutes=10)
    assert live.pop_stale(T0 + timedelta(minutes=9, seconds=59)) == []
    turned = live.pop_stale(T0 + timedelta(minutes=10))
    assert [v.key for v in turned] == ["parking/darcy"]
    assert live.pop_stale(T0 + timedelta(minutes=11)) == []
    view = live.get("parking/darcy").view(T0 + timedelta(minutes=11))  # type: ignore[union-attr]
    assert view["stale"] is True and view["age_s"] == 660 and view["free"] == 10
    assert [v.key for v in live.pop_stale(T0 + timedelta(minutes=15))] == ["air/dijon"]


def test_a_newer_reading_postpones_staleness() -> None:
    live = state()
    live.apply(Observation("parking/darcy", {"free": 10}, T0, "ngsi"))
    live.apply(Observation("parking/darcy", {"free": 9}, T0 + timedelta(minutes=5), "ngsi"))
    assert live.pop_stale(T0 + timedelta(minutes=12)) == []
    assert live.next_stale_at() == T0 + timedelta(minutes=15)


def test_an_older_reading_does_not_overwrite_a_newer_one() -> None:
    live = state()
    live.apply(Observation("parking/darcy", {"free": 10}, T0, "ngsi"))
    assert live.apply(Observation("parking/darcy", {"free": 99}, T0 - timedelta(minutes=1), "ngsi")) is None
    assert live.get("parking/darcy").fields["free"] == 10  # type: ignore[union-attr]
