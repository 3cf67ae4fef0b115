"""Small helpers the tests share: wait until something holds (``eventually``, ``until`` in a page), receive the
next frame of a kind, a feed's producer credentials, post a demo delivery, the demo city at any hour."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import yaml
from aiohttp import web

from signage.config import demo_config_path
from signage.demo.payloads import CAR_PARKS, parking_notification
from signage.web.keys import FEED_TOKENS

PARKS = {p.id: p for p in CAR_PARKS}
# axe-core, installed by scripts/test
AXE = Path(__file__).resolve().parents[1] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 4).map(n => n.target.join(" ")).join(", ")}`))"""
_TOKENS: WeakKeyDictionary[web.Application, dict[str, str]] = WeakKeyDictionary()


async def feed_auth(client: Any, feed: str) -> dict[str, str]:
    """The header a producer of ``feed`` sends: a token issued for it once per application, as the command line
    would (``signage feeds token FEED``)."""
    tokens = _TOKENS.setdefault(client.app, {})
    if feed not in tokens:
        tokens[feed] = await client.app[FEED_TOKENS].issue(feed)
    return {"Authorization": f"Bearer {tokens[feed]}"}


async def next_frame(ws: Any, predicate: Any = lambda f: True, timeout: float = 5.0) -> dict[str, Any]:
    """The next JSON frame for which ``predicate`` holds (earlier ones are skipped)."""
    async def find() -> dict[str, Any]:
        while True:
            message = await ws.receive()
            if message.type.name != "TEXT":
                raise AssertionError(f"connection ended: {message.type.name} {message.data} {message.extra}")
            frame: dict[str, Any] = json.loads(message.data)
            if predicate(frame):
                return frame

    return await asyncio.wait_for(find(), timeout=timeout)


def no_quiet_config(tmp_path: Path) -> Path:
    """The demo city with no city-wide quiet hours or push interval, so that tests do not depend on the hour."""
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["push"] = {"quiet_hours": "none", "min_interval": "0s"}
    path = tmp_path / "city.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def parking_body(park: str, free: int) -> bytes:
    return parking_notification(PARKS[park], free, datetime.now(UTC))


async def post_parking(client: Any, park: str, free: int) -> None:
    response = await client.post("/feeds/ngsi", data=parking_body(park, free),
                                 headers={"Content-Type": "application/json", **await feed_auth(client, "ngsi")})
    assert response.status == 202, await response.text()


async def post_central_parking(client: Any, darcy: int) -> None:
    for park, free in (("darcy", darcy), ("dauphine", 300), ("grangier", 200)):
        await post_parking(client, park, free)


async def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Wait until ``check()`` (a plain or an async function) gives something truthy, and return it: the one way
    the tests wait for something to happen. On timeout, fail saying what was waited for and what was last seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:g} s: {what or getattr(check, '__name__', check)}"
                                 f" (last: {value!r})")
        await asyncio.sleep(0.02)


async def until(page: Any, expression: str, timeout: float = 30_000) -> Any:
    """``eventually`` for a JavaScript expression in ``page``. Through the DevTools protocol, like
    ``page.evaluate``: unlike Playwright's ``wait_for_function``, it needs no ``eval`` in the page, so the test
    runs under the same Content-Security-Policy as a citizen's browser, nothing switched off."""
    return await eventually(lambda: page.evaluate(expression), timeout / 1000, expression)


async def assert_accessible(page: Any) -> None:
    """axe-core's rules on the page as it is now: no serious or critical violation. axe is loaded through the
    DevTools protocol, like ``until``: the page keeps its own Content-Security-Policy."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: bash scripts/test installs axe-core")
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = await page.evaluate(SERIOUS)
    assert violations == [], (page.url, violations)
