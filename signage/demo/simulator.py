"""The demo's living city: simulated feeds that POST real payloads to the engine's own feed endpoints.

City time runs faster than real time (``speed`` city minutes per real second), so car parks fill in the
morning and empty in the evening within a few minutes; a tram line is disrupted now and then, the air
degrades on some afternoons, and a weather warning arrives, is updated, and is lifted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
from datetime import UTC, datetime, timedelta

import aiohttp

from signage.demo.payloads import (
    CAR_PARKS,
    STREETS,
    CarPark,
    air_quality_notification,
    cap_alert,
    datex2_parking,
    gtfs_rt_alerts,
    noise_reading,
    parking_notification,
    siri_stop_monitoring,
    waste_notification,
)
from signage.feeds import MQTT_TOPIC_HEADER
from signage.feeds.webhook import SIGNATURE_HEADER, sign

__all__ = ["Simulator"]

log = logging.getLogger("signage.demo")
TICK_S = 1.0


def occupancy(city_hour: float) -> float:
    """Share of places taken at a given hour: low at night, a plateau from late morning to early evening."""
    day = math.exp(-((city_hour - 14.0) / 4.2) ** 2)
    return 0.12 + 0.86 * day


class Simulator:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, speed: float, seed: int = 21,
                 tokens: dict[str, str] | None = None) -> None:
        self._session = session
        self._tokens = tokens or {}  # feed -> its producer token: the simulated producers authenticate like real ones
        self._base = base_url.rstrip("/")
        self._speed = speed
        self._random = random.Random(seed)
        self._started = datetime.now(UTC)
        self._city_start = datetime.now(UTC).replace(hour=6, minute=30, second=0, microsecond=0)
        self._alert: tuple[str, datetime] | None = None

    def city_time(self, now: datetime) -> datetime:
        return self._city_start + (now - self._started) * self._speed

    async def _post(self, feed: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        sent = {"Content-Type": content_type, **(headers or {})}
        if feed in self._tokens:
            sent["Authorization"] = f"Bearer {self._tokens[feed]}"
        try:
            async with self._session.post(f"{self._base}/feeds/{feed}", data=body, headers=sent) as response:
                if response.status >= 400:
                    log.warning("demo feed %s refused: %s %s", feed, response.status, await response.text())
        except aiohttp.ClientError as exc:
            log.debug("demo feed %s not reachable yet: %s", feed, exc)

    async def run(self) -> None:
        tick = 0
        while True:
            await self.step(tick, datetime.now(UTC))
            tick += 1
            await asyncio.sleep(TICK_S)

    async def step(self, tick: int, now: datetime) -> None:
        city = self.city_time(now)
        hour = city.hour + city.minute / 60
        by_datex: list[tuple[CarPark, int]] = []
        for park in CAR_PARKS:
            taken = occupancy(hour) + self._random.uniform(-0.04, 0.06)
            if park.id in ("darcy", "grangier"):
                taken += 0.08  # the most central car parks fill first
            free = round(park.capacity * (1 - min(1.0, max(0.0, taken))))
            if park.id in ("clemenceau", "tremouille"):  # their operator publishes DATEX II
                by_datex.append((park, free))
            elif park.id in ("monge", "tivoli"):  # counted by sensors on MQTT
                await self._post("mqtt", json.dumps({"name": park.name, "free": free,
                                                        "capacity": park.capacity}).encode(),
                                 "application/json", {MQTT_TOPIC_HEADER: f"dijon/parking/{park.id}/state"})
            else:
                await self._post("ngsi", parking_notification(park, free, now), "application/json")
        await self._post("datex2", datex2_parking(by_datex, now), "application/xml")
        if tick % 5 == 0:
            departures = [("T1", "Quetigny Centre", now + timedelta(minutes=2 + tick % 7)),
                          ("T2", "Chenôve Centre", now + timedelta(minutes=4 + tick % 5))]
            await self._post("siri", siri_stop_monitoring("DARCY", departures, now, "Darcy"), "application/xml")
            departures = [("T1", "Dijon Gare", now + timedelta(minutes=1 + tick % 6)),
                          ("T1", "Quetigny Centre", now + timedelta(minutes=5 + tick % 6))]
            await self._post("siri", siri_stop_monitoring("GARE", departures, now, "Gare"), "application/xml")
        if tick % 10 == 0 and (secret := os.environ.get("SIGNAGE_WEBHOOK_SECRET")):
            body = noise_reading("darcy-1", "Place Darcy", round(55 + 10 * occupancy(hour), 1), now)
            await self._post("webhook", body, "application/json",
                             {SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body)})
        if tick % 10 == 0:
            level = 2 + (1 if 12 <= hour <= 19 else 0) + (1 if self._random.random() < 0.35 else 0)
            await self._post("atmo", air_quality_notification(level, now), "application/json")
        if tick % 30 == 0:
            for index, (street_id, street) in enumerate(STREETS):
                next_day = (city + timedelta(days=1 + index % 3)).replace(hour=6, minute=0, second=0)
                await self._post("ngsi-ld", waste_notification(street_id, street, next_day,
                                                               self._random.uniform(0.1, 0.95), now),
                                 "application/json")
        if tick % 5 == 0:
            disrupted = {}
            if 8 <= hour % 24 < 10:
                disrupted["T1"] = "Trafic ralenti entre Darcy et République"
            if 17 <= hour % 24 < 18.5:
                disrupted["T2"] = "Incident technique, retards de 10 minutes"
            await self._post("gtfs-rt", gtfs_rt_alerts(disrupted, now), "application/x-protobuf")
        await self._weather(tick, now)

    async def _weather(self, tick: int, now: datetime) -> None:
        cycle = tick % 240
        if cycle == 90:
            identifier = f"FR-MF-VIGI-{int(now.timestamp())}"
            self._alert = (identifier, now)
            await self._post("cap", cap_alert(identifier, now, now + timedelta(minutes=10), severity="Severe",
                                              awareness="3; orange; Severe"), "application/cap+xml")
        elif cycle == 130 and self._alert is not None:
            old, sent = self._alert
            identifier = f"{old}-U"
            self._alert = (identifier, now)
            await self._post("cap", cap_alert(
                identifier, now, now + timedelta(minutes=10), "Update",
                f"vigilance@meteo.fr,{old},{sent.isoformat()}", "Severe", headline_fr="Vigilance orange vent "
                "violent : rafales jusqu'à 110 km/h", headline_en="Orange warning: gusts up to 110 km/h",
                awareness="3; orange; Severe"),
                "application/cap+xml")
        elif cycle == 170 and self._alert is not None:
            old, sent = self._alert
            self._alert = None
            await self._post("cap", cap_alert(f"{old}-C", now, now + timedelta(minutes=1), "Cancel",
                                              f"vigilance@meteo.fr,{old},{sent.isoformat()}"),
                             "application/cap+xml")
