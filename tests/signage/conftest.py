"""Fixtures of the engine's own parts: a Store on the chosen backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from signage.store import Store, open_store


@pytest.fixture
async def store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """SQLite (embedded) or a real Redis, as ``backend`` says."""
    if backend == "redis":
        instance = open_store(request.getfixturevalue("redis_url"), "", request.getfixturevalue("redis_prefix"))
    else:
        instance = open_store(None, str(tmp_path / "store.sqlite3"))
    yield instance
    await instance.close()
