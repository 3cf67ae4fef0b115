from __future__ import annotations

from datetime import UTC, datetime, timedelta

from signage.board import resolve
from signage.model import Lane, Message, Panel, Targets

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
PANEL = Panel("darcy", "Place Darcy", "Place Darcy", 47.3, 5.0, "dijon-centre", "char-3x20", ("parking",))
CHAIN = ["dijon-centre", "dijon", "dijon-metropole", "cote-d-or"]
DEFAULT = Message("default:darcy", Lane.DEFAULT, 0, "default", {}, Targets(panels=("darcy",)), ("panels",), T0,
                  None, "default")


def message(message_id: str, lane: Lane, priority: int = 50, targets: Targets | None = None,
            at: datetime = T0, channels: tuple[str, ...] = ("panels",)) -> Message:
    return Message(message_id, lane, priority, "default", {}, targets or Targets(everywhere=True), channels, at,
                   None, "test")


def test_a_panel_with_nothing_to_show_shows_its_default() -> None:
    decision = resolve(PANEL, CHAIN, "panels", [], DEFAULT, 4)
    assert decision.shown == (DEFAULT,) and decision.lane is Lane.DEFAULT


def test_a_higher_lane_pre_empts_and_the_loser_is_explained() -> None:
    rule = message("rule:parking", Lane.RULE, 90)
    alert = message("alert:wind", Lane.ALERT, 10, Targets(zones=("cote-d-or",)))
    decision = resolve(PANEL, CHAIN, "panels", [rule, alert], DEFAULT, 4)
    assert [m.id for m in decision.shown] == ["alert:wind"]
    assert ("rule:parking", "pre-empted by the alert lane") in decision.competing


def test_equal_priorities_share_the_face_as_pages_in_order_of_arrival() -> None:
    later = message("rule:b", Lane.RULE, 55, at=T0 + timedelta(seconds=5))
    earlier = message("rule:a", Lane.RULE, 55)
    lower = message("rule:c", Lane.RULE, 40)
    decision = resolve(PANEL, CHAIN, "panels", [later, lower, earlier], DEFAULT, 4)
    assert [m.id for m in decision.shown] == ["rule:a", "rule:b"]
    assert ("rule:c", "lower priority (40 < 55)") in decision.competing


def test_pages_beyond_the_sign_are_reported_not_silently_dropped() -> None:
    many = [message(f"rule:{i}", Lane.RULE, 50, at=T0 + timedelta(seconds=i)) for i in range(3)]
    decision = resolve(PANEL, CHAIN, "panels", many, DEFAULT, 2)
    assert len(decision.shown) == 2
    assert any("no page left" in why for _, why in decision.competing)


def test_targets_match_by_zone_parent_tag_or_id_and_respect_channels() -> None:
    elsewhere = message("rule:nord", Lane.RULE, 99, Targets(zones=("dijon-nord",)))
    by_tag = message("rule:tag", Lane.RULE, 10, Targets(tags=("parking",)))
    kiosk_only = message("rule:kiosk", Lane.OPERATOR, 10, channels=("kiosks",))
    decision = resolve(PANEL, CHAIN, "panels", [elsewhere, by_tag, kiosk_only], DEFAULT, 4)
    assert [m.id for m in decision.shown] == ["rule:tag"]
    assert ("rule:kiosk", "not sent to panels") in decision.competing
