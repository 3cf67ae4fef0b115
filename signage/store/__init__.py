"""One Store for everything durable: template versions, broadcasts, subscriptions, accounts, tokens, dead
letters, the audit log.

Documents are JSON objects filed under a kind (``template_versions``, ``subscriptions``, ``dead_letters``…) and
an id, indexed by id so that the documents whose id starts with a prefix (one template's versions) are read
without scanning the kind. Writes that must not race across processes have atomic operations: a counter
(``next_number``), a compare-and-set and a claim. The audit log is append-only: who, when, what.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["AUDIT_ACTOR_MAX", "Store", "open_store"]

AUDIT_ACTOR_MAX = 200


class Store(Protocol):
    async def put(self, kind: str, doc_id: str, doc: dict[str, Any]) -> None: ...

    async def get(self, kind: str, doc_id: str) -> dict[str, Any] | None: ...

    async def get_many(self, kind: str, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The documents of ``kind`` among ``doc_ids`` that exist, by id: one round trip for a batch."""
        ...

    async def documents(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        """The documents of ``kind`` whose id starts with ``prefix`` (every one by default), ordered by id; read
        from the id index, not by scanning the kind."""
        ...

    async def next_number(self, counter: str, at_least: int = 0) -> int:
        """One more than the last number ``counter`` gave and than ``at_least``, atomically across processes:
        two callers at once never get the same number."""
        ...

    async def compare_and_set(self, kind: str, doc_id: str, expected: dict[str, Any] | None,
                              doc: dict[str, Any]) -> bool:
        """Put ``doc`` only if the document is ``expected`` now (None: there is none), atomically across
        processes; False, and nothing written, if another writer changed it first."""
        ...

    async def count(self, kind: str) -> int: ...

    async def delete(self, kind: str, doc_id: str) -> bool: ...

    async def claim(self, kind: str, claim_id: str, ttl_s: float) -> bool:
        """True for the first claim of ``claim_id`` within ``ttl_s`` seconds, False for every other, atomically
        across processes: a delivery id or signature seen once is refused after that."""
        ...

    async def claim_many(self, kind: str, claim_ids: list[str], ttl_s: float) -> None:
        """``claim`` each of ``claim_ids`` in one round trip, without saying which were claimed before."""
        ...

    async def claimed(self, kind: str, claim_ids: list[str]) -> set[str]:
        """Those of ``claim_ids`` claimed within their time, in one round trip: what a push batch taken over from
        a dead worker has already served."""
        ...

    async def append_audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> dict[str, Any]:
        """Record who did what to what; returns the entry with its ``seq`` and ``at``."""
        ...

    async def audit(self, limit: int = 100, query: str | None = None) -> list[dict[str, Any]]:
        """Newest first; ``query`` keeps entries whose actor, action, target or detail contain it."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None:
        """Flush and release; nothing written before returns is lost."""
        ...


def open_store(redis_url: str | None, sqlite_path: str, prefix: str = "signage:") -> Store:
    if redis_url:
        from signage.store.redis import RedisStore

        return RedisStore(redis_url, prefix=prefix)
    from signage.store.sqlite import SqliteStore

    return SqliteStore(sqlite_path)
