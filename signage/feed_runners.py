"""Feeds the engine fetches itself: HTTP polling (JSON, CSV, XML, GTFS-RT, CAP and MeteoAlarm Atom) and MQTT.

They run in the engine process only (one poll per feed, however many web processes there are) and hand every
delivery to the same intake as a POST. A poll sends ``If-None-Match`` and ``If-Modified-Since``; failures back
off exponentially with jitter, so a struggling producer is not hammered by every city at the same second.

Credentials come from the environment, never the configuration file: a poll sends the headers ``headers_env``
names (``Authorization: CITY_API_TOKEN``); an MQTT client signs in with ``username_env`` and ``password_env`` and
speaks TLS to an ``mqtts://`` broker, trusting the CA bundle ``ca_file_env`` names (or the system's). A variable
that is not set is a feed error naming the variable, never its value.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import aiohttp

from signage.feeds import MAX_DELIVERY_BYTES, MQTT_TOPIC_HEADER, FeedError
from signage.feeds.atom import cap_entries
from signage.ingest import Intake
from signage.model import FeedConfig
from signage.timeutil import parse_duration

__all__ = ["MqttRunner", "Poller", "fetched_by_the_engine", "runner_for"]

log = logging.getLogger("signage.feeds")
ATOM = "{http://www.w3.org/2005/Atom}"


class _TooLarge(Exception):
    pass


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    body = await response.content.read(MAX_DELIVERY_BYTES + 1)
    if len(body) > MAX_DELIVERY_BYTES:
        raise _TooLarge
    return body


class Poller:
    """Polls ``url`` every ``interval`` (default 30 s) with conditional GET; backs off after failures."""

    def __init__(self, feed: FeedConfig, session: aiohttp.ClientSession, intake: Intake,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.feed = feed
        self._session = session
        self._intake = intake
        self._clock = clock
        self._url = str(feed.options["url"])
        self._headers_env: dict[str, str] = {str(k): str(v) for k, v in (feed.options.get("headers_env") or {}).items()}
        self.interval = parse_duration(feed.options.get("interval", "30s")).total_seconds()
        self._timeout = aiohttp.ClientTimeout(total=parse_duration(feed.options.get("timeout", "10s")).total_seconds())
        self._max_backoff = parse_duration(feed.options.get("max_backoff", "10m")).total_seconds()
        self._etag: str | None = None
        self._last_modified: str | None = None
        self._seen_entries: set[str] = set()
        self.failures = 0

    def next_delay(self) -> float:
        if self.failures == 0:
            return self.interval
        backoff = min(self._max_backoff, self.interval * 2.0 ** self.failures)
        return backoff * random.uniform(0.5, 1.5)

    async def run(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self.next_delay())

    async def poll_once(self) -> None:
        headers = {}
        for name, variable in self._headers_env.items():
            value = os.environ.get(variable)
            if not value:
                self.failures += 1
                await self._intake.refused(self.feed.id, self._clock(),
                                           f"the variable {variable} (header {name}) is not set", "headers_env")
                return
            headers[name] = value
        if self._etag:
            headers["If-None-Match"] = self._etag
        if self._last_modified:
            headers["If-Modified-Since"] = self._last_modified
        try:
            async with self._session.get(self._url, headers=headers, timeout=self._timeout) as response:
                if response.status == 304:
                    self.failures = 0
                    return
                if response.status != 200:
                    raise FeedError(f"HTTP {response.status} from the producer", "poll")
                body = await _read_limited(response)
                self._etag = response.headers.get("ETag")
                self._last_modified = response.headers.get("Last-Modified")
                content_type = response.content_type
        except _TooLarge:
            self.failures += 1
            await self._intake.refused(self.feed.id, self._clock(), f"larger than {MAX_DELIVERY_BYTES} bytes", "poll")
            return
        except FeedError as exc:
            self.failures += 1
            await self._intake.refused(self.feed.id, self._clock(), exc.reason, exc.where)
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.failures += 1
            await self._intake.refused(self.feed.id, self._clock(), f"{type(exc).__name__}: {exc}"[:300], "poll")
            return
        self.failures = 0
        if self.feed.format == "cap" and body.lstrip().startswith(b"<") and b"http://www.w3.org/2005/Atom" in body:
            await self._atom(body)
            return
        # A refusal is recorded as the feed's last error and kept as a dead letter by the intake.
        with contextlib.suppress(FeedError):
            await self._intake.deliver(self.feed, body, self._clock(), None, content_type, wait_for_room=True)

    async def _atom(self, body: bytes) -> None:
        """A MeteoAlarm-style Atom feed: fetch the CAP document of each new or updated entry."""
        try:
            entries = cap_entries(body)
        except FeedError as exc:
            await self._intake.refused(self.feed.id, self._clock(), exc.reason, exc.where)
            return
        for entry in entries:
            ident, href = entry.ident, entry.cap_url
            if ident in self._seen_entries:
                continue
            try:
                async with self._session.get(href, timeout=self._timeout) as response:
                    document = await _read_limited(response) if response.status == 200 else None
            except (aiohttp.ClientError, TimeoutError, _TooLarge) as exc:
                await self._intake.refused(self.feed.id, self._clock(), f"entry {href}: {exc}"[:300], "atom")
                continue
            if document is None:
                continue
            try:
                await self._intake.deliver(self.feed, document, self._clock(), None, "application/cap+xml",
                                           wait_for_room=True)
                self._seen_entries.add(ident)
            except FeedError:
                pass
        # Remember only what the feed still lists: a national feed turns over thousands of entries a month.
        self._seen_entries &= {entry.ident for entry in entries}


class MqttRunner:
    """Subscribes to the feed's ``topics`` on ``broker`` (``mqtt://host:1883``) and reconnects with backoff."""

    def __init__(self, feed: FeedConfig, intake: Intake,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.feed = feed
        self._intake = intake
        self._clock = clock
        broker = urlparse(str(feed.options["broker"]))
        self._tls = broker.scheme in ("mqtts", "ssl")
        self._host = broker.hostname or "127.0.0.1"
        self._port = broker.port or (8883 if self._tls else 1883)
        self._topics = [str(t) for t in feed.options.get("topics", ["#"])]
        self.connected = asyncio.Event()

    def _sign_in(self) -> dict[str, Any]:
        """Credentials and TLS from the environment; ``FeedError`` naming a variable that is not set."""
        options: dict[str, Any] = {}
        for option, argument in (("username_env", "username"), ("password_env", "password")):
            if variable := self.feed.options.get(option):
                if not os.environ.get(str(variable)):
                    raise FeedError(f"the variable {variable} ({option}) is not set", option)
                options[argument] = os.environ[str(variable)]
        if self._tls:
            import aiomqtt

            ca_file = None
            if variable := self.feed.options.get("ca_file_env"):
                ca_file = os.environ.get(str(variable))
                if not ca_file:
                    raise FeedError(f"the variable {variable} (ca_file_env) is not set", "ca_file_env")
            options["tls_params"] = aiomqtt.TLSParameters(ca_certs=ca_file)
        return options

    async def run(self) -> None:
        import aiomqtt

        delay = 1.0
        while True:
            try:
                sign_in = self._sign_in()
            except FeedError as exc:
                await self._intake.refused(self.feed.id, self._clock(), exc.reason, exc.where)
                await asyncio.sleep(60)
                continue
            try:
                async with aiomqtt.Client(self._host, self._port, **sign_in) as client:
                    for topic in self._topics:
                        await client.subscribe(topic, qos=1)
                    self.connected.set()
                    delay = 1.0
                    async for message in client.messages:
                        payload = message.payload if isinstance(message.payload, bytes | bytearray) else str(
                            message.payload).encode()
                        with contextlib.suppress(FeedError):  # recorded and kept by the intake; others go on
                            await self._intake.deliver(self.feed, bytes(payload), self._clock(),
                                                       {MQTT_TOPIC_HEADER: str(message.topic)}, "mqtt",
                                                       wait_for_room=True)
            except aiomqtt.MqttError as exc:
                self.connected.clear()
                await self._intake.refused(self.feed.id, self._clock(), f"MQTT broker: {exc}"[:300], "broker")
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 60.0)


def fetched_by_the_engine(feeds: Iterable[FeedConfig]) -> dict[str, FeedConfig]:
    """The feeds the engine goes to fetch, by id: those with a ``url`` to poll, MQTT ones with a ``broker``."""
    return {feed.id: feed for feed in feeds
            if (feed.format == "mqtt" and feed.options.get("broker")) or feed.options.get("url")}


def runner_for(feed: FeedConfig, session: aiohttp.ClientSession, intake: Intake) -> Poller | MqttRunner:
    """An MQTT client for a feed with a ``broker``, else a poller of its ``url``."""
    if feed.format == "mqtt" and feed.options.get("broker"):
        return MqttRunner(feed, intake)
    return Poller(feed, session, intake)

