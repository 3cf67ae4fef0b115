"""Sign-in and panel-poll latency while 20 hostile template previews run, against the same without, in one run.

An editor's preview is code the server runs. Before, a preview ran in the thread pool that sign-ins shared and a
published template on the event loop: ``{{ 10 ** (4 * 10 ** 6) }}`` froze every answer for seconds, and seven
nested-loop previews made a sign-in wait 33 s. Now previews run in worker processes, under the render budget,
killed at a deadline, and passwords are hashed on threads of their own.

The run starts ``signage serve --config demo`` on a fresh SQLite store, makes 20 editors and one viewer, then
measures, one request after another, sign-ins of the viewer (the whole form: GET, then POST with its CSRF token)
and panel polls (``GET /api/v1/panels/darcy/content``, a full answer, no ETag): first with nothing else going on,
then while each of the 20 editors sends hostile previews (nested loops, huge powers, exponential macros,
repetition) back to back. It prints medians, 95th percentiles and the ratio hostile / quiet.

Run: ``.venv/bin/python bench/hostile_previews.py [--sign-ins 20] [--polls 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a password for the benchmark"
HOSTILE = [
    "{% for a in range(9000) %}{% for b in range(9000) %}{% endfor %}{% endfor %}",
    "{{ (10**(4*10**6)) > 1 }}",
    "{% macro f(n) %}{% if n < 30 %}{{ f(n+1) }}{{ f(n+1) }}{% endif %}{% endmacro %}{{ f(0) }}",
    "{{ 'a' * 10**8 }}",
]


def signage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "signage", *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=120).stdout.strip()


async def sign_in(http: aiohttp.ClientSession, base: str) -> float:
    started = time.perf_counter()
    async with http.get(f"{base}/admin/login") as form:
        page = await form.text()
        cookie = form.cookies["signage_login"].value
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    async with http.post(f"{base}/admin/login", data={"username": "visiteur", "password": PASSWORD, "csrf": token},
                         headers={"Cookie": f"signage_login={cookie}"}, allow_redirects=False) as answer:
        assert answer.status == 303, answer.status
    return (time.perf_counter() - started) * 1000


async def poll(http: aiohttp.ClientSession, base: str) -> float:
    started = time.perf_counter()
    async with http.get(f"{base}/api/v1/panels/darcy/content") as answer:
        await answer.read()
        assert answer.status == 200
    return (time.perf_counter() - started) * 1000


async def measure(base: str, sign_ins: int, polls: int) -> tuple[list[float], list[float]]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        logins = [await sign_in(http, base) for _ in range(sign_ins)]
        answers = [await poll(http, base) for _ in range(polls)]
    return logins, answers


async def hostile_editor(base: str, token: str, stop: asyncio.Event, outcomes: dict[int, int]) -> None:
    async with aiohttp.ClientSession() as http:
        n = 0
        while not stop.is_set():
            body = {"template": {"fr": {"title": HOSTILE[n % len(HOSTILE)], "lines": []}}, "params": {}}
            async with http.post(f"{base}/api/v1/admin/preview", json=body,
                                 headers={"Authorization": f"Bearer {token}"}) as answer:
                await answer.read()
                outcomes[answer.status] = outcomes.get(answer.status, 0) + 1
            n += 1


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


async def run(base: str, tokens: list[str], sign_ins: int, polls: int) -> None:
    quiet = await measure(base, sign_ins, polls)
    stop = asyncio.Event()
    outcomes: dict[int, int] = {}
    editors = [asyncio.create_task(hostile_editor(base, token, stop, outcomes)) for token in tokens]
    await asyncio.sleep(2.0)  # every editor has previews in flight
    loud = await measure(base, sign_ins, polls)
    stop.set()
    await asyncio.gather(*editors)
    print(f"hostile previews answered while measuring: {dict(sorted(outcomes.items()))}")
    for name, before, during in (("sign-in", quiet[0], loud[0]), ("panel poll", quiet[1], loud[1])):
        (p50, p95), (h50, h95) = summary(before), summary(during)
        print(f"{name:11s} quiet p50 {p50:7.1f} ms p95 {p95:7.1f} ms | 20 hostile previews p50 {h50:7.1f} ms "
              f"p95 {h95:7.1f} ms | ratio p50 {h50 / p50:5.2f} p95 {h95 / p95:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=20)
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--editors", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "SIGNAGE_SQLITE_PATH": str(Path(directory) / "store.sqlite3"),
               "SIGNAGE_STAFF_PASSWORD": PASSWORD}
        signage(env, "staff", "add", "visiteur", "--role", "viewer")
        tokens = []
        for n in range(args.editors):
            signage(env, "staff", "add", f"editor{n}", "--role", "editor")
            tokens.append(signage(env, "staff", "token", f"editor{n}"))
        port = "18095"
        server = subprocess.Popen([sys.executable, "-m", "signage", "serve", "--config", "demo", "--port", port],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert server.stdout is not None and "listening" in server.stdout.readline()
            time.sleep(1.0)
            asyncio.run(run(f"http://127.0.0.1:{port}", tokens, args.sign_ins, args.polls))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
