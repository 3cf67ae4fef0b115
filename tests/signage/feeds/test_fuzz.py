"""Mutated payloads thrown at every parser: no exception other than a FeedError escapes, and every refusal says
why. Seeds are the shared samples and the demo's payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signage.demo.payloads import CAR_PARKS, datex2_parking, siri_stop_monitoring
from signage.feeds import FeedError, FeedResult, decode_delivery
from signage.feeds.webhook import sign
from signage.model import FeedConfig
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SEEDS: dict[str, list[bytes]] = {
    "ngsi-v2": [p.read_bytes() for p in sorted((SAMPLES / "ngsi").rglob("*.json*"))],
    "cap": [p.read_bytes() for p in sorted((SAMPLES / "cap").glob("*.xml"))],
    "gtfs-rt": [p.read_bytes() for p in sorted((SAMPLES / "gtfs-rt").glob("*"))
                if p.suffix in (".pb", ".asciipb")],
    "siri": [p.read_bytes() for p in sorted((SAMPLES / "siri").glob("*.xml"))]
    + [siri_stop_monitoring("DARCY", [("T1", "Quetigny", NOW)], NOW)],
    "datex2": [(SAMPLES / "parking" / "datex2-frankfurt-ParkingFacilityTableStatusPublication.xml").read_bytes(),
               datex2_parking([(CAR_PARKS[0], 12)], NOW)],
    "atmo": [(SAMPLES / "atmo" / "gwadair-indice-atmo-arcgis-excerpt.json").read_bytes()],
    "mqtt": [b'{"free": 12, "capacity": 300}', b"free|12|capacity|300", b"t|21.5#h|40"],
    "webhook": [b'{"id": "s1", "laeq": 55.2}', b'[{"id": "s1"}, {"id": 2}]'],
    "http-poll": [b'[{"id": "v1", "bikes": 4}]', b"id;bikes\nv1;4\n", b'<r><s id="v1"><bikes>4</bikes></s></r>'],
}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(draw(st.sampled_from(SEEDS[fmt])))
    for _ in range(draw(st.integers(0, 6))):
        operation = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if operation == "flip":
            data[at] = draw(st.integers(0, 255))
        elif operation == "cut":
            del data[at:]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:at + draw(st.integers(1, 40))]
    return fmt, bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_no_mutated_payload_crashes_a_parser(case: tuple[str, bytes]) -> None:
    fmt, body = case
    feed = FeedConfig("fuzz", fmt, timedelta(minutes=10), {"secret": "k", "topics": ["#"], "routes": ["T1"]})
    headers = {"X-Signature": sign("k", int(NOW.timestamp()), body), "MQTT-Topic": "dijon/parking/x/state"}
    try:
        result = decode_delivery(feed, body, NOW, headers)
    except FeedError as exc:
        assert exc.reason.strip()
        return
    assert isinstance(result, FeedResult)
    for observation in result.observations:
        assert observation.key and observation.observed_at.tzinfo is not None
