"""Staff accounts, sessions and API tokens: who may do what in the console and its API.

Roles, each with the rights of the ones before: viewer (sees the control room), editor (edits templates,
composes broadcasts), approver (publishes what another wrote), admin (accounts). Passwords are scrypt hashes
(``signage.passwords``); sessions and API tokens are random and stored as SHA-256 digests. Session cookies are
``Secure; HttpOnly; SameSite=Strict``; every form that changes something carries the session's CSRF token, and
cross-origin posts are refused; login attempts are limited per account and address.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from signage.passwords import hash_password, verify_password
from signage.store import Store
from signage.timeutil import format_instant, parse_instant

__all__ = ["ROLES", "SESSION_COOKIE", "LoginLimiter", "Staff", "StaffAccounts", "StaffProblem"]

ROLES = ("viewer", "editor", "approver", "admin")
ACCOUNTS, SESSIONS, TOKENS = "staff_accounts", "staff_sessions", "staff_tokens"
SESSION_COOKIE = "signage_session"
LOGIN_COOKIE = "signage_login"  # the sign-in form's CSRF token, double-submitted (cookie and field)
SESSION_LIFETIME = timedelta(hours=8)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Verifying against this when the account does not exist takes as long as a real check: timing does not tell
# which usernames exist.
_DUMMY_HASH = "scrypt$65536$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


class StaffProblem(ValueError):
    """A refused account operation, with the reason."""


@dataclass(frozen=True, slots=True)
class Staff:
    username: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAccounts:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, username: str, role: str, password: str, actor: str = "cli") -> Staff:
        if not USERNAME.match(username):
            raise StaffProblem("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise StaffProblem(f"role must be one of {', '.join(ROLES)}")
        encoded = await asyncio.to_thread(hash_password, password)  # memory-hard: never on the event loop
        await self._store.put(ACCOUNTS, username, {"username": username, "role": role, "password": encoded,
                                                   "created_at": format_instant(datetime.now(UTC))})
        await self._store.append_audit(actor, "staff.account.set", username, {"role": role})
        return Staff(username, role)

    async def accounts(self) -> list[Staff]:
        return [Staff(doc["username"], doc["role"]) for doc in await self._store.documents(ACCOUNTS)]

    async def authenticate(self, username: str, password: str) -> Staff | None:
        doc = await self._store.get(ACCOUNTS, username) if USERNAME.match(username) else None
        ok = await asyncio.to_thread(verify_password, password, doc["password"] if doc else _DUMMY_HASH)
        return Staff(doc["username"], doc["role"]) if doc and ok else None

    async def issue_token(self, username: str, actor: str = "cli") -> str:
        doc = await self._store.get(ACCOUNTS, username)
        if doc is None:
            raise StaffProblem(f"no account {username!r}")
        token = "st_" + secrets.token_urlsafe(32)
        await self._store.put(TOKENS, _digest(token), {"username": username,
                                                       "issued_at": format_instant(datetime.now(UTC))})
        await self._store.append_audit(actor, "staff.token.issue", username, {})
        return token

    async def _staff(self, username: str) -> Staff | None:
        doc = await self._store.get(ACCOUNTS, username)
        return Staff(doc["username"], doc["role"]) if doc else None

    async def by_token(self, token: str) -> Staff | None:
        if not token.startswith("st_") or len(token) > 100:
            return None
        doc = await self._store.get(TOKENS, _digest(token))
        return await self._staff(str(doc["username"])) if doc else None

    async def start_session(self, staff: Staff) -> tuple[str, str]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + SESSION_LIFETIME
        await self._store.put(SESSIONS, _digest(token), {"username": staff.username, "csrf": csrf,
                                                         "expires_at": format_instant(expires)})
        return token, csrf

    async def session(self, token: str) -> tuple[Staff, str] | None:
        if not token or len(token) > 100:
            return None
        doc = await self._store.get(SESSIONS, _digest(token))
        if doc is None:
            return None
        if parse_instant(str(doc["expires_at"])) <= datetime.now(UTC):
            await self._store.delete(SESSIONS, _digest(token))
            return None
        staff = await self._staff(str(doc["username"]))
        return (staff, str(doc["csrf"])) if staff else None

    async def end_session(self, token: str) -> None:
        await self._store.delete(SESSIONS, _digest(token))


class LoginLimiter:
    """At most ``attempts`` failed logins per account and per address in ``window_s``; then wait."""

    def __init__(self, attempts: int = 5, window_s: float = 900.0) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        recent = [at for at in self._failures.get(key, []) if now - at < self.window_s]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def wait_s(self, username: str, address: str) -> float:
        now = time.monotonic()
        worst = 0.0
        for key in (f"user:{username}", f"addr:{address}"):
            recent = self._recent(key, now)
            if len(recent) >= self.attempts:
                worst = max(worst, self.window_s - (now - recent[0]))
        return worst

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        for key in (f"user:{username}", f"addr:{address}"):
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"user:{username}", None)


def same_origin(request: web.Request) -> bool:
    """A state-changing request must come from this site's own pages (or carry no Origin, like a script)."""
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


def csrf_ok(presented: Any, expected: str) -> bool:
    return isinstance(presented, str) and hmac.compare_digest(presented.encode(), expected.encode())
