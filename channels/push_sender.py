"""Sending Web Push messages: pywebpush's async API over one shared aiohttp session.

Per push service (origin): bounded concurrency, and a VAPID header signed once and reused until an hour
before it expires (signing is the costly part of a send that pywebpush would otherwise repeat every time).
``TTL`` is always set; ``Urgency: high`` for alerts; ``Topic`` collapses a superseded update of the same topic
on the push service. 5xx and timeouts are retried with backoff, 429 after its ``Retry-After``; 404 and 410 mean
the subscription is gone. Nothing here logs an endpoint or a key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid02
from pywebpush import WebPusher

from channels.push_subscriptions import Subscription

__all__ = ["PushOutcome", "PushSender", "VapidKeys", "push_topic_header"]

VAPID_LIFETIME_S = 12 * 3600
VAPID_RENEW_BEFORE_S = 3600


@dataclass(frozen=True, slots=True)
class VapidKeys:
    private: str  # raw 32-byte P-256 scalar, base64url (as ``signage vapid-keys`` prints it)
    subject: str  # mailto: or https: contact, as RFC 8292 asks

    def vapid(self) -> Vapid02:
        return Vapid02.from_raw(self.private.encode())

    @property
    def public_key(self) -> str:
        """The application server key a browser subscribes with (uncompressed point, base64url)."""
        from cryptography.hazmat.primitives import serialization

        raw = self.vapid().public_key.public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class PushOutcome:
    status: int | None  # the push service's final answer; None when it never answered
    outcome: str  # sent, gone, rejected, failed
    attempts: int


def push_topic_header(topic: str) -> str:
    """RFC 8030 ``Topic``: at most 32 characters of the base64url alphabet; a digest of the engine's topic."""
    return base64.urlsafe_b64encode(hashlib.sha256(topic.encode()).digest()).rstrip(b"=").decode()[:32]


class PushSender:
    def __init__(self, session: aiohttp.ClientSession, keys: VapidKeys, *, per_service: int = 100,
                 timeout_s: float = 10.0, retries: int = 3, backoff_s: float = 0.5,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._session = session
        self._keys = keys
        self._vapid = keys.vapid()
        self._per_service = per_service
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._headers: dict[str, tuple[float, dict[str, str]]] = {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retries = retries
        self._backoff_s = backoff_s
        self._sleep = sleep
        self.signatures = 0  # how many VAPID headers were signed (one per service per half-day)

    def _vapid_header(self, origin: str) -> dict[str, str]:
        now = time.time()
        cached = self._headers.get(origin)
        if cached is not None and cached[0] - now > VAPID_RENEW_BEFORE_S:
            return cached[1]
        expires = int(now) + VAPID_LIFETIME_S
        headers = {k: str(v) for k, v in self._vapid.sign({"aud": origin, "exp": expires,
                                                            "sub": self._keys.subject}).items()}
        self.signatures += 1
        self._headers[origin] = (expires, headers)
        return headers

    async def send(self, subscription: Subscription, payload: bytes, *, ttl_s: int, urgency: str,
                   topic: str | None) -> PushOutcome:
        parts = urlsplit(subscription.endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        limit = self._limits.setdefault(origin, asyncio.Semaphore(self._per_service))
        pusher = WebPusher(subscription.info(), aiohttp_session=self._session)
        status: int | None = None
        for attempt in range(1, self._retries + 2):
            headers: dict[str, Any] = {**self._vapid_header(origin), "Urgency": urgency}
            if topic:
                headers["Topic"] = push_topic_header(topic)
            wait = self._backoff_s * 2 ** (attempt - 1) * (0.5 + random.random())
            try:
                async with limit:
                    response: Any = await pusher.send_async(payload, headers=headers, ttl=max(1, ttl_s),
                                                            timeout=self._timeout)
                status = int(response.status)
            except (aiohttp.ClientError, TimeoutError):
                status = None
            if status is not None and 200 <= status < 300:
                return PushOutcome(status, "sent", attempt)
            if status in (404, 410):
                return PushOutcome(status, "gone", attempt)
            if status == 429:
                retry_after = response.headers.get("Retry-After", "")
                wait = float(retry_after) if retry_after.isdigit() else wait
            elif status is not None and status < 500:
                return PushOutcome(status, "rejected", attempt)  # 400, 401, 403, 413: retrying will not help
            if attempt <= self._retries:
                await self._sleep(min(wait, 60.0))
        return PushOutcome(status, "failed", self._retries + 1)
