"""Web Push subscriptions: what a phone asked for, checked, stored, and found again by topic.

A subscription is the only personal data the engine holds (its endpoint and keys identify a browser). It is
stored under a digest of its endpoint, never logged, and never returned by any API: the phone gets back an id.
Endpoints are accepted only on known push services, so the engine cannot be made to POST anywhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from signage.schedule import TimeWindow
from signage.store import Store
from signage.timeutil import format_instant, parse_instant

__all__ = ["DEFAULT_PUSH_SERVICES", "MAX_TOPICS", "SUBSCRIPTION_LIFETIME", "Subscription", "SubscriptionProblem",
           "SubscriptionStore", "parse_subscription", "subscription_id"]

# The push services of the major browsers, on their exact hosts: Chrome and Chromium browsers (FCM), Firefox
# (Mozilla autopush), Safari (Apple), Edge (WNS, whose hosts carry a region: one label before notify.windows.com).
# Patterns on scheme://host[:port]; "*." stands for exactly one DNS label, never for a dot.
DEFAULT_PUSH_SERVICES = ("https://fcm.googleapis.com", "https://updates.push.services.mozilla.com",
                         "https://web.push.apple.com", "https://*.notify.windows.com")
MAX_TOPICS = 50
SUBSCRIPTION_LIFETIME = timedelta(days=60)  # without renewal, a subscription is deleted after this
SUBSCRIPTIONS = "push_subscriptions"
TOPIC_INDEX = "push_topic/"


class SubscriptionProblem(ValueError):
    """What is wrong with a subscription request: ``field`` and a message for the phone's developer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    endpoint: str
    p256dh: str
    auth: str
    topics: tuple[str, ...]
    language: str
    quiet_hours: TimeWindow | None

    def info(self) -> dict[str, Any]:
        """As pywebpush takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def to_json(self, now: datetime) -> dict[str, Any]:
        quiet = self.quiet_hours
        return {"id": self.id, "endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth},
                "topics": list(self.topics), "language": self.language,
                "quiet_hours": f"{quiet.start:%H:%M}-{quiet.end:%H:%M}" if quiet else None,
                "updated_at": format_instant(now)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Subscription:
        quiet = doc.get("quiet_hours")
        return cls(str(doc["id"]), str(doc["endpoint"]), str(doc["keys"]["p256dh"]), str(doc["keys"]["auth"]),
                   tuple(doc["topics"]), str(doc["language"]), TimeWindow.parse(quiet) if quiet else None)


def subscription_id(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()[:32]


def _b64url(value: Any, field: str, length: int) -> bytes:
    if not isinstance(value, str) or len(value) > 200:
        raise SubscriptionProblem(field, "must be base64url text")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SubscriptionProblem(field, "must be base64url text") from exc
    if len(raw) != length:
        raise SubscriptionProblem(field, f"must decode to {length} bytes (got {len(raw)})")
    return raw


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin_matches(scheme: str, host: str, port: int, pattern: str) -> bool:
    """``pattern`` is ``scheme://host[:port]``: ``*.`` before the host stands for one label, ``:*`` for any port
    (a local push service in tests)."""
    any_port = pattern.endswith(":*")
    wanted = urlsplit(pattern.removesuffix(":*") if any_port else pattern)
    try:
        wanted_port = wanted.port or _DEFAULT_PORTS.get(wanted.scheme, 0)
    except ValueError:
        return False
    wanted_host = (wanted.hostname or "").lower()
    if wanted.scheme != scheme or (wanted_port != port and not any_port):
        return False
    if wanted_host.startswith("*."):
        label, _, rest = host.partition(".")
        return rest == wanted_host[2:] and _LABEL.match(label) is not None
    return host == wanted_host


def allowed_endpoint(endpoint: str, services: Sequence[str]) -> bool:
    """Whether ``endpoint`` is on one of ``services`` (``scheme://host[:port]`` patterns), exactly: the engine
    POSTs to every endpoint it keeps, so it must never be one an attacker chose."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:  # "https://evil.example:443.googleapis.com/": not a port, not an endpoint
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password or "@" in parts.netloc:
        return False
    return any(_origin_matches(parts.scheme, host, port, pattern) for pattern in services)


def parse_subscription(body: Any, *, services: Sequence[str], languages: Sequence[str],
                       topic_ok: Any) -> Subscription:
    """A subscription from the JSON a phone sends (its PushSubscription plus topics, language and quiet hours);
    raises ``SubscriptionProblem`` naming the field."""
    if not isinstance(body, dict):
        raise SubscriptionProblem("body", "must be a JSON object")
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1024:
        raise SubscriptionProblem("endpoint", "must be the push service URL the browser gave (at most 1,024 chars)")
    if not allowed_endpoint(endpoint, services):
        raise SubscriptionProblem("endpoint", "is not on a known push service")
    keys = body.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionProblem("keys", "must hold p256dh and auth")
    p256dh = _b64url(keys.get("p256dh"), "keys.p256dh", 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError as exc:
        raise SubscriptionProblem("keys.p256dh", "is not a P-256 public key") from exc
    _b64url(keys.get("auth"), "keys.auth", 16)
    topics = body.get("topics")
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        raise SubscriptionProblem("topics", "must be a non-empty list of topics (e.g. alerts/dijon-centre)")
    if len(topics) > MAX_TOPICS:
        raise SubscriptionProblem("topics", f"at most {MAX_TOPICS} topics")
    bad = next((t for t in topics if not topic_ok(t)), None)
    if bad is not None:
        raise SubscriptionProblem("topics", f"{bad[:140]!r} is not a topic")
    language = body.get("language", languages[0])
    if language not in languages:
        raise SubscriptionProblem("language", f"must be one of {', '.join(languages)}")
    quiet_text = body.get("quiet_hours")
    quiet: TimeWindow | None = None
    if quiet_text is not None:
        if not isinstance(quiet_text, str):
            raise SubscriptionProblem("quiet_hours", "must be like 22:00-07:00, or null")
        try:
            quiet = TimeWindow.parse(quiet_text)
        except ValueError as exc:
            raise SubscriptionProblem("quiet_hours", str(exc)) from exc
    return Subscription(subscription_id(endpoint), endpoint, keys["p256dh"], keys["auth"],
                        tuple(dict.fromkeys(topics)), str(language), quiet)


class SubscriptionStore:
    """Subscriptions in the Store, with an index per topic so a push finds its phones without a scan."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def save(self, subscription: Subscription, now: datetime) -> None:
        old = await self._store.get(SUBSCRIPTIONS, subscription.id)
        for topic in set(old["topics"] if old else ()) - set(subscription.topics):
            await self._store.delete(TOPIC_INDEX + topic, subscription.id)
        await self._store.put(SUBSCRIPTIONS, subscription.id, subscription.to_json(now))
        for topic in subscription.topics:
            await self._store.put(TOPIC_INDEX + topic, subscription.id, {"id": subscription.id})

    async def get(self, sub_id: str) -> Subscription | None:
        doc = await self._store.get(SUBSCRIPTIONS, sub_id)
        return Subscription.from_json(doc) if doc else None

    async def get_many(self, sub_ids: list[str]) -> dict[str, Subscription]:
        docs = await self._store.get_many(SUBSCRIPTIONS, sub_ids)
        return {sub_id: Subscription.from_json(doc) for sub_id, doc in docs.items()}

    async def delete(self, sub_id: str) -> bool:
        doc = await self._store.get(SUBSCRIPTIONS, sub_id)
        if doc is None:
            return False
        for topic in doc["topics"]:
            await self._store.delete(TOPIC_INDEX + topic, sub_id)
        return await self._store.delete(SUBSCRIPTIONS, sub_id)

    async def ids_for(self, topic: str) -> list[str]:
        return sorted(str(doc["id"]) for doc in await self._store.documents(TOPIC_INDEX + topic))

    async def count(self) -> int:
        return await self._store.count(SUBSCRIPTIONS)

    async def expire(self, now: datetime, max_age: timedelta = SUBSCRIPTION_LIFETIME) -> int:
        """Delete the subscriptions not renewed within ``max_age`` (a phone renews by subscribing again);
        returns how many went."""
        gone = 0
        for doc in await self._store.documents(SUBSCRIPTIONS):
            if now - parse_instant(str(doc["updated_at"])) > max_age and await self.delete(str(doc["id"])):
                gone += 1
        return gone
