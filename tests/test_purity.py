"""The pure core and the renderers never do I/O: no asyncio, aiohttp, redis, sockets or channels."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PURE = ["signage/model.py", "signage/state.py", "signage/rules.py", "signage/board.py", "signage/pipeline.py",
        "signage/schedule.py", "signage/feed_health.py",
        "signage/templates.py", "signage/timeutil.py", "signage/profiles.py", *[
            str(p.relative_to(ROOT)) for p in (ROOT / "renderers").glob("*.py")],
        *[str(p.relative_to(ROOT)) for p in (ROOT / "signage" / "feeds").glob("*.py")]]
FORBIDDEN = ("asyncio", "aiohttp", "redis", "socket", "channels", "sqlite3", "requests", "urllib.request")


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_pure_core_imports_nothing_that_does_io() -> None:
    offenders = {
        module: sorted(name for name in imports(ROOT / module)
                       if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
        for module in PURE
    }
    assert {m: names for m, names in offenders.items() if names} == {}
    assert len(PURE) > 15
