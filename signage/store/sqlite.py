"""The embedded store: one SQLite file, used from one dedicated thread so the event loop never blocks on it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from signage.store import AUDIT_ACTOR_MAX
from signage.timeutil import format_instant

__all__ = ["SqliteStore"]

T = TypeVar("T")
_LAST = "\U0010ffff"  # sorts after every character an id can continue with

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
    kind TEXT NOT NULL, id TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, detail TEXT NOT NULL
);
"""


def _fetch_all(query: str, params: tuple[str, ...], db: sqlite3.Connection) -> list[Any]:
    return db.execute(query, params).fetchall()


class SqliteStore:
    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=10.0)
            for attempt in range(50):
                # Two processes opening a new file at once: switching it to WAL takes a lock that SQLite does
                # not wait for. The second one tries again shortly (the file is in WAL mode for good after).
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.executescript(_SCHEMA)
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 49:
                        raise
                    time.sleep(0.02)
            self._db = db
        return self._db

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(self._connect()))

    async def put(self, kind: str, doc_id: str, doc: dict[str, Any]) -> None:
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
        now = format_instant(datetime.now(UTC))
        await self._run(lambda db: db.execute(
            "INSERT INTO documents (kind, id, doc, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
            (kind, doc_id, text, now)))

    async def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        row = await self._run(lambda db: db.execute(
            "SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)).fetchone())
        return json.loads(row[0]) if row else None

    async def get_many(self, kind: str, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(doc_ids), 500):  # SQLite binds at most 999 parameters by default
            chunk = doc_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, doc FROM documents WHERE kind = ? AND id IN ({marks})"
            rows = await self._run(partial(_fetch_all, query, (kind, *chunk)))
            found.update((row[0], json.loads(row[1])) for row in rows)
        return found

    async def documents(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        # A range of the primary key (kind, id): the index finds the prefix, nothing else of the kind is read.
        rows = await self._run(lambda db: db.execute(
            "SELECT doc FROM documents WHERE kind = ? AND id >= ? AND id < ? ORDER BY id",
            (kind, prefix, prefix + _LAST)).fetchall())
        return [json.loads(row[0]) for row in rows]

    async def next_number(self, counter: str, at_least: int = 0) -> int:
        row = await self._run(lambda db: db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ? + 1) "
            "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value - 1) + 1 RETURNING value",
            (counter, at_least)).fetchone())
        return int(row[0])

    async def compare_and_set(self, kind: str, doc_id: str, expected: dict[str, Any] | None,
                              doc: dict[str, Any]) -> bool:
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
        now = format_instant(datetime.now(UTC))

        def work(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")  # the write lock first: no other process writes between read and write
            try:
                row = db.execute("SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)).fetchone()
                if (json.loads(row[0]) if row else None) != expected:
                    return False
                db.execute("INSERT INTO documents (kind, id, doc, updated_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
                           (kind, doc_id, text, now))
                return True
            finally:
                db.execute("COMMIT")

        return await self._run(work)

    async def count(self, kind: str) -> int:
        row = await self._run(lambda db: db.execute(
            "SELECT COUNT(*) FROM documents WHERE kind = ?", (kind,)).fetchone())
        return int(row[0])

    async def delete(self, kind: str, doc_id: str) -> bool:
        cursor = await self._run(lambda db: db.execute(
            "DELETE FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)))
        return cursor.rowcount > 0

    async def claim(self, kind: str, claim_id: str, ttl_s: float) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            return _claim(db, kind, [claim_id], ttl_s) == 1

        return await self._run(work)

    async def claim_many(self, kind: str, claim_ids: list[str], ttl_s: float) -> None:
        def work(db: sqlite3.Connection) -> None:
            _claim(db, kind, claim_ids, ttl_s)

        if claim_ids:
            await self._run(work)

    async def claimed(self, kind: str, claim_ids: list[str]) -> set[str]:
        def work(db: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(claim_ids), 500):  # SQLite's limit on parameters
                chunk = claim_ids[start:start + 500]
                rows = db.execute(f"SELECT id FROM claims WHERE kind = ? AND expires_at > ? AND id IN "
                                  f"({','.join('?' * len(chunk))})", (kind, time.time(), *chunk)).fetchall()
                found.update(row[0] for row in rows)
            return found

        return await self._run(work)

    async def append_audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> dict[str, Any]:
        at = format_instant(datetime.now(UTC))
        actor = actor[:AUDIT_ACTOR_MAX]
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
        cursor = await self._run(lambda db: db.execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (at, actor, action, target, text)))
        return {"seq": cursor.lastrowid, "at": at, "actor": actor, "action": action, "target": target,
                "detail": detail}

    async def audit(self, limit: int = 100, query: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT seq, at, actor, action, target, detail FROM audit"
        args: tuple[Any, ...] = ()
        if query:
            sql += " WHERE instr(lower(actor || ' ' || action || ' ' || target || ' ' || detail), lower(?)) > 0"
            args = (query,)
        sql += " ORDER BY seq DESC LIMIT ?"
        rows = await self._run(lambda db: db.execute(sql, (*args, limit)).fetchall())
        return [{"seq": r[0], "at": r[1], "actor": r[2], "action": r[3], "target": r[4],
                 "detail": json.loads(r[5])} for r in rows]

    async def ping(self) -> bool:
        try:
            await self._run(lambda db: db.execute("SELECT 1").fetchone())
            return True
        except sqlite3.Error:
            return False

    async def close(self) -> None:
        def finish(db: sqlite3.Connection) -> None:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()

        if self._db is not None:
            await self._run(finish)
            self._db = None
        self._executor.shutdown(wait=True)


def _claim(db: sqlite3.Connection, kind: str, claim_ids: list[str], ttl_s: float) -> int:
    """Claim each id not already claimed within its time; how many were claimed now. An expired claim is gone
    first (indexed: cheap, and bounds the table), so that its id may be claimed again."""
    now = time.time()
    db.execute("DELETE FROM claims WHERE expires_at <= ?", (now,))
    cursor = db.executemany("INSERT OR IGNORE INTO claims (kind, id, expires_at) VALUES (?, ?, ?)",
                            [(kind, claim_id, now + ttl_s) for claim_id in claim_ids])
    return cursor.rowcount
