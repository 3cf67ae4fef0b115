"""Bearer tokens of machines (a panel, a feed's producer), stored only as SHA-256 digests.

A token is issued (or rotated) from the command line and shown once; ``keep_previous`` leaves the previous one
valid until the next rotation, so a device can be updated without a gap; ``revoke`` removes every token of its
owner at once. An operator's temporary token (``issue_temporary``, used by ``signage feeds retry``) lives beside
them without touching them, and expires by itself.

Checks compare digests in constant time and remember a good token for ``remember_s`` (a poll every second costs
no store trip). Every issue and revocation changes a revision that running processes watch (``revision``):
when it changes they forget what they remembered, so a revoked token stops working within a second or two.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.store import Store
from signage.timeutil import format_instant, parse_instant

__all__ = ["FeedTokens", "Grant", "Keyring", "PanelTokens", "token_digest"]

REVISIONS = "token_revisions"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Grant:
    """What a good token says: whose it is, and whether it is an operator's temporary one."""

    owner: str
    digest: str
    operator: bool = False


def _unexpired(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [e for e in (doc or {}).get("digests", [])
            if not e.get("expires_at") or parse_instant(str(e["expires_at"])) > now]


class Keyring:
    def __init__(self, store: Store, kind: str, prefix: str, remember_s: float = 2.0) -> None:
        self._store = store
        self.kind = kind
        self._prefix = prefix
        self._remember_s = remember_s
        self._good: dict[tuple[str, str], tuple[float, Grant]] = {}  # (owner, digest) -> (known good until, grant)

    async def _entries(self, owner: str) -> list[dict[str, Any]]:
        return _unexpired(await self._store.get(self.kind, owner))

    async def _change(self, owner: str, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
                      ) -> list[dict[str, Any]]:
        """Apply ``edit`` to the owner's unexpired tokens, again if another process changed them meanwhile (two
        operators' temporary tokens at once both stay); returns the tokens as they were."""
        while True:
            doc = await self._store.get(self.kind, owner)
            before = _unexpired(doc)
            if await self._store.compare_and_set(self.kind, owner, doc, {"digests": edit(before)}):
                break
        await self._store.put(REVISIONS, self.kind, {"revision": secrets.token_hex(8)})
        return before

    def _new(self) -> str:
        return self._prefix + secrets.token_urlsafe(32)

    async def issue(self, owner: str, keep_previous: bool = False) -> str:
        """A new token for ``owner``; the previous one stays valid only with ``keep_previous``."""
        token = self._new()
        issued = {"sha256": token_digest(token), "issued_at": format_instant(datetime.now(UTC))}

        def edit(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
            temporary = [e for e in entries if e.get("expires_at")]
            kept = [e for e in entries if not e.get("expires_at")][:1] if keep_previous else []
            return [issued, *kept, *temporary]

        await self._change(owner, edit)
        return token

    async def issue_temporary(self, owner: str, lifetime: timedelta) -> str:
        """An operator's token that expires by itself and leaves the owner's own tokens as they are."""
        token = self._new()
        now = datetime.now(UTC)
        issued = {"sha256": token_digest(token), "issued_at": format_instant(now),
                  "expires_at": format_instant(now + lifetime), "operator": True}
        await self._change(owner, lambda entries: [*entries, issued])
        return token

    async def discard(self, owner: str, token: str) -> None:
        """Remove one token (an operator's temporary one, once its work is done)."""
        digest = token_digest(token)
        await self._change(owner, lambda entries: [e for e in entries if e["sha256"] != digest])

    async def revoke(self, owner: str) -> bool:
        """Remove every token of ``owner``; False when it had none."""
        had = await self._change(owner, lambda entries: [])
        self.forget()
        return bool(had)

    async def has_tokens(self, owner: str) -> bool:
        return any(not e.get("expires_at") for e in await self._entries(owner))

    async def current_digests(self, owner: str) -> set[str]:
        return {str(e["sha256"]) for e in await self._entries(owner)}

    async def check(self, owner: str, token: str | None, fresh: bool = False) -> Grant | None:
        """The grant of ``token`` for ``owner``, or None. ``fresh`` skips what was remembered."""
        if not token or not token.startswith(self._prefix) or len(token) > 100:
            return None
        digest = token_digest(token)
        now = time.monotonic()
        remembered = self._good.get((owner, digest))
        if not fresh and remembered is not None and remembered[0] > now:
            return remembered[1]
        entries = await self._entries(owner)
        # Compare with every digest, always, so that timing says nothing about which one matched.
        found: dict[str, Any] | None = None
        for entry in entries:
            if hmac.compare_digest(str(entry["sha256"]), digest):
                found = entry
        if found is None:
            self._good.pop((owner, digest), None)
            return None
        grant = Grant(owner, digest, bool(found.get("operator")))
        if len(self._good) > 10_000:
            self._good.clear()
        self._good[(owner, digest)] = (now + self._remember_s, grant)
        return grant

    async def revision(self) -> str:
        """Changes whenever a token of this keyring is issued or revoked, in any process."""
        doc = await self._store.get(REVISIONS, self.kind)
        return str(doc["revision"]) if doc else ""

    def forget(self) -> None:
        """Drop every remembered good token: the next check of each goes to the store."""
        self._good.clear()


class PanelTokens(Keyring):
    """Each panel's own tokens (``signage panels token|revoke PANEL``)."""

    def __init__(self, store: Store, remember_s: float = 2.0) -> None:
        super().__init__(store, "panel_tokens", "pt_", remember_s)


class FeedTokens(Keyring):
    """Each feed's producers' tokens (``signage feeds token|revoke FEED``)."""

    def __init__(self, store: Store, remember_s: float = 2.0) -> None:
        super().__init__(store, "feed_tokens", "ft_", remember_s)
