"""A local Web Push service for tests and benchmarks: it plays the push service of a phone's browser.

Each subscriber is a path, ``/push/<name>``; its keys are derived from the name, so tests, benchmarks and this
service agree on them without sharing state. Every message is checked and decrypted with ``http_ece`` (an
implementation independent of the engine's sender) and the subscriber's private key; the VAPID JWT is verified
with ``cryptography``. Answers can be scripted per subscriber (``429`` then ``201``, ``410``…) and delayed, since
a real push service answers in tens of milliseconds.

Run alone for benchmarks: ``python -m tests.push_service --port 8765 --delay-ms 30``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = ["Received", "local_push_service", "subscriber_info", "subscriber_keys"]

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def subscriber_keys(name: str) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """The subscriber's P-256 key and auth secret, derived from its name."""
    scalar = int.from_bytes(hashlib.sha256(f"key:{name}".encode()).digest(), "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1()), hashlib.sha256(f"auth:{name}".encode()).digest()[:16]


def subscriber_info(base_url: str, name: str) -> dict[str, Any]:
    """What a browser's ``PushSubscription.toJSON()`` gives for this subscriber."""
    private, auth = subscriber_keys(name)
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"{base_url}/push/{name}", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}


@dataclass
class Received:
    name: str
    plaintext: bytes
    headers: dict[str, str]  # names in lower case
    status: int

    def json(self) -> Any:
        return json.loads(self.plaintext)


@dataclass
class PushServiceState:
    delay_s: float = 0.0
    decrypt: bool = True
    check_every: int = 1  # verify and decrypt one request in N (benchmarks); the others are only counted
    scripts: dict[str, deque[tuple[int, dict[str, str]]]] = field(default_factory=lambda: defaultdict(deque))
    received: list[Received] = field(default_factory=list)
    delivered: int = 0  # answers 201
    requests: int = 0
    problems: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def script(self, name: str, *answers: tuple[int, dict[str, str]]) -> None:
        """The next answers for ``name``, in order; 201 once they are used up."""
        self.scripts[name].extend(answers)


def _verify_vapid(header: str, origin: str) -> str | None:
    """None when the VAPID header is valid for this service, else what is wrong."""
    if not header.startswith("vapid "):
        return "no VAPID authorization"
    params = dict(part.strip().split("=", 1) for part in header[6:].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    try:
        head, body, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
        raw = _unb64(signature)
        public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                      f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(_unb64(body))
    except (ValueError, InvalidSignature) as exc:
        return f"bad VAPID token: {exc!r}"
    if claims.get("aud") != origin:
        return f"VAPID aud {claims.get('aud')!r} is not {origin!r}"
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        return "VAPID sub must be mailto: or https:"
    return None


def local_push_service(state: PushServiceState) -> web.Application:
    async def push(request: web.Request) -> web.Response:
        state.requests += 1
        name = request.match_info["name"]
        body = await request.read()
        origin = f"{request.scheme}://{request.host}"
        checked = state.requests % state.check_every == 0
        problem = _verify_vapid(request.headers.get("Authorization", ""), origin) if checked else None
        if problem is None and request.headers.get("Content-Encoding") != "aes128gcm":
            problem = "Content-Encoding must be aes128gcm"
        if problem is None and not request.headers.get("TTL", "").isdigit():
            problem = "TTL must be set"
        plaintext = b""
        if problem is None and state.decrypt and checked:
            private, auth = subscriber_keys(name)
            try:
                plaintext = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
            except Exception as exc:  # any failure to decrypt is the sender's fault
                problem = f"cannot decrypt: {exc!r}"
        if problem is not None:
            state.problems.append(problem)
            return web.Response(status=400, text=problem)
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        status, headers = state.scripts[name].popleft() if state.scripts.get(name) else (201, {})
        if state.decrypt and checked:
            state.received.append(Received(name, plaintext, {k.lower(): v for k, v in request.headers.items()}, status))
        if status == 201:
            state.delivered += 1
        state.changed.set()
        return web.Response(status=status, headers=headers)

    app = web.Application(client_max_size=8192)
    app.router.add_post("/push/{name}", push)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="a local Web Push service")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--check-every", type=int, default=1,
                        help="verify VAPID and decrypt one message in N (a real service has its own machines; "
                             "on a benchmark's shared CPUs, checking every message would measure this service)")
    args = parser.parse_args()
    state = PushServiceState(delay_s=args.delay_ms / 1000, check_every=max(1, args.check_every))
    app = local_push_service(state)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"delivered": state.delivered, "requests": state.requests,
                                  "checked": len(state.received), "problems": len(state.problems),
                                  "first_problem": state.problems[:1]})

    async def reset(request: web.Request) -> web.Response:
        state.delivered = state.requests = 0
        state.problems.clear()
        state.received.clear()
        return web.json_response({"ok": True})

    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=lambda _: print("ready", flush=True))


if __name__ == "__main__":
    main()
