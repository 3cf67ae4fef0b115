"""GTFS-Realtime alerts: the real Bibus (Brest) feed and the official bindings fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signage.demo.payloads import gtfs_rt_alerts
from signage.feeds import FeedError, decode_delivery
from signage.model import FeedConfig
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_real_french_feed_gives_the_disruption_of_each_line() -> None:
    body = (SAMPLES / "gtfs-rt" / "bibus-brest-gtfs-rt-alerts.pb").read_bytes()
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["45", "99"]})
    result = decode_delivery(feed, body, NOW)
    by_key = {o.key: o for o in result.observations}
    assert set(by_key) == {"transit/45", "transit/99"}
    line_45 = by_key["transit/45"].value
    assert line_45["disrupted"] is True
    assert line_45["header"] == "L 45 Prolongation des travaux rue de Kermaria jusqu'au 24/12"
    assert line_45["disruptions"][0]["effect"] == "DETOUR"
    assert by_key["transit/99"].value["disrupted"] is False
    assert by_key["transit/45"].observed_at == datetime(2021, 12, 16, 15, 29, 2, tzinfo=UTC)
    assert any("not in the feed's routes" in reason for reason in result.ignored)


def test_a_feed_without_alerts_says_every_line_runs_normally() -> None:
    body = (SAMPLES / "gtfs-rt" / "gtfs-realtime-bindings-vehicle_position.pb").read_bytes()
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["T1"]})
    [observation] = decode_delivery(feed, body, NOW).observations
    assert observation.value["disrupted"] is False


def test_alerts_outside_their_active_period_are_not_current() -> None:
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {"routes": ["T1"]})
    [observation] = decode_delivery(feed, gtfs_rt_alerts({"T1": "Travaux"}, NOW), NOW).observations
    assert observation.value["disrupted"] is True


def test_bytes_that_are_not_protobuf_are_refused() -> None:
    feed = FeedConfig("gtfs-rt", "gtfs-rt", timedelta(minutes=5), {})
    with pytest.raises(FeedError) as caught:
        decode_delivery(feed, b"\xff\xff\xff\xff not protobuf", NOW)
    assert caught.value.where == "protobuf"
