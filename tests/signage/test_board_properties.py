"""Property-based tests of the board's promises, over random sequences of messages, alerts and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signage.board import targets_panel
from signage.config import Config, demo_config_path, load_config
from signage.model import Alert, Lane, Message, ProfileKind, Targets
from signage.pipeline import Pipeline

CONFIG: Config = load_config(demo_config_path())
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ZONES = sorted(CONFIG.zones)
TAGS = sorted({t for p in CONFIG.panels.values() for t in p.tags})

targets = st.one_of(
    st.builds(lambda z: Targets(zones=(z,)), st.sampled_from(ZONES)),
    st.builds(lambda t: Targets(tags=(t,)), st.sampled_from(TAGS)),
    st.builds(lambda p: Targets(panels=(p,)), st.sampled_from(sorted(CONFIG.panels))),
    st.just(Targets(everywhere=True)),
)
operator = st.tuples(st.just("operator"), st.integers(0, 9), st.sampled_from([Lane.SCHEDULE, Lane.OPERATOR]),
                     st.integers(0, 100), targets, st.one_of(st.none(), st.integers(1, 120)))
stop = st.tuples(st.just("stop"), st.integers(0, 9))
alert = st.tuples(st.just("alert"), st.integers(0, 5), st.sampled_from(["minor", "moderate", "severe", "extreme"]),
                  st.sampled_from(["NUTS3:FR261", "INSEE:21231", "dijon-nord"]),
                  st.one_of(st.none(), st.integers(1, 120)))
cancel = st.tuples(st.just("cancel"), st.integers(0, 5))
wait = st.tuples(st.just("wait"), st.integers(1, 90))
steps = st.lists(st.one_of(operator, stop, alert, cancel, wait), min_size=1, max_size=25)


def check_invariants(pipeline: Pipeline, now: datetime, cancelled: set[str]) -> None:
    for panel in CONFIG.panels.values():
        content = pipeline.contents[panel.id]
        assert content["pages"] and any(page["lines"] or page["title"] for page in content["pages"])  # never blank
        channel = "kiosks" if CONFIG.profiles[panel.profile].kind is ProfileKind.KIOSK else "panels"
        chain = CONFIG.zone_ancestors(panel.zone)
        eligible = [m for m in pipeline.messages.values()
                    if targets_panel(m.targets, panel, chain) and channel in m.channels]
        shown = pipeline.decisions[panel.id].shown
        if eligible:
            best = max((m.lane, m.priority) for m in eligible)
            assert all((m.lane, m.priority) == best for m in shown)  # the highest always wins
        else:
            assert shown[0].lane is Lane.DEFAULT
        for message in shown:
            assert message.expires_at is None or message.expires_at > now  # nothing expired is shown
            assert message.id not in cancelled  # a cancelled alert is gone from every target


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_board_promises_hold_whatever_happens(script: list[tuple[Any, ...]]) -> None:
    pipeline = Pipeline(CONFIG, describe_messages=False)
    now = T0
    pipeline.start(now)
    cancelled: set[str] = set()
    sent: dict[int, str] = {}
    for index, step in enumerate(script):
        kind = step[0]
        if kind == "wait":
            now += timedelta(minutes=step[1])
            pipeline.advance(now)
        elif kind == "operator":
            _, number, lane, priority, where, minutes = step
            expires = now + timedelta(minutes=minutes) if minutes else None
            pipeline.put_message(Message(f"op:{number}", lane, priority, "default",
                                         {"city": "Annonce", "panel": f"n°{number}", "place": ""}, where,
                                         ("panels", "kiosks"), now, expires, "operator"), now)
        elif kind == "stop":
            pipeline.remove_message(f"op:{step[1]}", now, "stopped")
        elif kind == "alert":
            _, number, severity, code, minutes = step
            identifier = f"A{number}-{index}"
            references = (sent[number],) if number in sent else ()
            sent[number] = identifier
            pipeline.ingest([], [Alert(identifier, "cap", now, "update" if references else "alert", severity,
                                       "immediate", "Vent", {"fr": "Vent"}, {"fr": ""}, (code,),
                                       now + timedelta(minutes=minutes) if minutes else None, references)], now)
            cancelled.update(f"alert:{r}" for r in references)
        elif kind == "cancel" and step[1] in sent:
            old = sent.pop(step[1])
            pipeline.ingest([], [Alert(f"C-{old}", "cap", now, "cancel", "minor", "immediate", "", {}, {}, (),
                                       None, (old,))], now)
            cancelled.add(f"alert:{old}")
        check_invariants(pipeline, now, cancelled)
