"""Staff accounts, sessions and API tokens: who may do what in the console and its API.

Roles, each with the rights of the ones before: viewer (sees the control room), editor (edits templates,
composes broadcasts), approver (publishes what another wrote), admin (accounts). Passwords are scrypt hashes
(``signage.passwords``); sessions and API tokens are random and stored as SHA-256 digests. Session cookies are
``Secure; HttpOnly; SameSite=Strict``; every form that changes something carries the session's CSRF token, and
cross-origin posts are refused; sign-in attempts are slowed per account and address (``LoginThrottle``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from aiohttp import web

from signage.passwords import hash_password, verify_password
from signage.store import Store
from signage.timeutil import format_instant, parse_instant

__all__ = ["ROLES", "SESSION_COOKIE", "HashingBusy", "PasswordWorkers", "Staff", "StaffAccounts", "StaffProblem"]

T = TypeVar("T")
ROLES = ("viewer", "editor", "approver", "admin")
ACCOUNTS, SESSIONS, TOKENS = "staff_accounts", "staff_sessions", "staff_tokens"
SESSION_COOKIE = "signage_session"
LOGIN_COOKIE = "signage_login"  # the sign-in form's CSRF token, double-submitted (cookie and field)
SESSION_LIFETIME = timedelta(hours=8)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}\Z")
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


class HashingBusy(Exception):
    """Every password worker is busy and the queue before them is full: try again in a moment."""


class PasswordWorkers:
    """Password hashing on threads of its own (64 MiB and a fifth of a second each), never on the event loop nor
    in the pool other blocking work shares, and with a bounded queue: a flood of sign-ins waits or is told to
    come back, it does not pile up memory-hard work without end."""

    def __init__(self, workers: int = 2, queue: int = 32) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._room = workers + queue
        self._held = 0

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._held >= self._room:
            raise HashingBusy
        self._held += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self._held -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class StaffAccounts:
    def __init__(self, store: Store, workers: PasswordWorkers | None = None) -> None:
        self._store = store
        self._passwords = workers or PasswordWorkers()

    def close(self) -> None:
        self._passwords.close()

    async def add(self, username: str, role: str, password: str, actor: str = "cli") -> Staff:
        if not USERNAME.match(username):
            raise StaffProblem("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise StaffProblem(f"role must be one of {', '.join(ROLES)}")
        encoded = await self._passwords.run(hash_password, password)  # memory-hard: never on the event loop
        await self._store.put(ACCOUNTS, username, {"username": username, "role": role, "password": encoded,
                                                   "created_at": format_instant(datetime.now(UTC))})
        await self._store.append_audit(actor, "staff.account.set", username, {"role": role})
        return Staff(username, role)

    async def accounts(self) -> list[Staff]:
        return [Staff(doc["username"], doc["role"]) for doc in await self._store.documents(ACCOUNTS)]

    async def authenticate(self, username: str, password: str) -> Staff | None:
        doc = await self._store.get(ACCOUNTS, username) if USERNAME.match(username) else None
        ok = await self._passwords.run(verify_password, password, doc["password"] if doc else _DUMMY_HASH)
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


def same_origin(request: web.Request) -> bool:
    """A state-changing request must come from this site's own pages (or carry no Origin, like a script)."""
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


def csrf_ok(presented: Any, expected: str) -> bool:
    return isinstance(presented, str) and hmac.compare_digest(presented.encode(), expected.encode())
