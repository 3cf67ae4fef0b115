"""Panel polling: the engine's 304 path against a bare aiohttp handler that returns a fixed 304, with the same
load generator (wrk) in the same run.

A panel that polls and has nothing new gets ``304 Not Modified``: that is most of a city's polls, so it must
cost next to nothing. The engine serves ``/api/v1/panels/darcy/content`` with the panel's current ETag in
``If-None-Match``; the baseline is one aiohttp route answering 304 with a fixed ETag.
Where the machine has two CPUs, the server measured runs on CPU 0 and wrk on CPU 1 (``taskset``), so that the
load generator never competes with it. Needs wrk (``apt-get install wrk``).
Run: ``.venv/bin/python bench/poll_304.py [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The same URL shape as the engine's route (a path parameter), and, for reference, a fixed path.
BASELINE = """
import sys
from aiohttp import web
async def not_modified(request):
    return web.Response(status=304, headers={"ETag": '"fixed-json"', "Cache-Control": "no-cache"})
app = web.Application()
app.router.add_get("/api/v1/panels/{panel_id}/content", not_modified)
app.router.add_get("/content", not_modified)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None,
            print=lambda _: print("ready", flush=True))
"""


PIN = (os.cpu_count() or 1) >= 2  # servers on CPU 0, the load generator on CPU 1, where the machine has two


def wrk(url: str, etag: str, seconds: int, connections: int) -> float:
    pinned = ["taskset", "-c", "1"] if PIN else []
    out = subprocess.run([*pinned, "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"If-None-Match: {etag}",
                          url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def check_304(url: str, etag: str) -> None:
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 304, exc.code
        return
    raise AssertionError("expected 304")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "SIGNAGE_SQLITE_PATH": "/tmp/bench-304.sqlite3"}
    engine = subprocess.Popen([sys.executable, "-m", "signage", "serve", "--config", "demo", "--role", "all",
                               "--port", "18090"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=env)
    baseline = subprocess.Popen([sys.executable, "-c", BASELINE, "18091"], stdout=subprocess.PIPE, text=True)
    try:
        assert engine.stdout is not None and "listening" in engine.stdout.readline()
        assert baseline.stdout is not None and baseline.stdout.readline().strip() == "ready"
        if PIN:  # each server alone on CPU 0 while it is measured; wrk never competes with it
            for process in (engine, baseline):
                os.sched_setaffinity(process.pid, {0})
        time.sleep(1.0)
        url = "http://127.0.0.1:18090/api/v1/panels/darcy/content"
        with urllib.request.urlopen(url, timeout=5) as response:
            etag = response.headers["ETag"]
        check_304(url, etag)
        bare_url = "http://127.0.0.1:18091/api/v1/panels/darcy/content"
        check_304(bare_url, '"fixed-json"')
        for n in range(args.rounds):
            ours = wrk(url, etag, args.seconds, args.connections)
            bare = wrk(bare_url, '"fixed-json"', args.seconds, args.connections)
            fixed = wrk("http://127.0.0.1:18091/content", '"fixed-json"', args.seconds, args.connections)
            print(f"round {n + 1}: engine {ours:7.0f} req/s   bare aiohttp, same route {bare:7.0f} req/s "
                  f"(ratio {ours / bare:.0%})   bare aiohttp, fixed path {fixed:7.0f} req/s "
                  f"(ratio {ours / fixed:.0%})", flush=True)
    finally:
        for process in (engine, baseline):
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
