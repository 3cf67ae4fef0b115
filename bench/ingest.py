"""Ingest end to end: how many deliveries a second go through authenticated ``POST /feeds/ngsi`` and come out as
published updates, against a bare aiohttp handler that only reads the body; same load generator (wrk), same run.

The engine (``signage serve --role all`` on Redis, as deployed in one process) runs on CPU 0 and wrk on CPU 1.
Each request is a real NGSI v2 notification for one of the demo's car parks with its own free-space count (wrk's
Lua script makes each body). Counted for the engine: deliveries accepted (202) per second by wrk, and deliveries
per second through to the end, from wrk's start to the moment the engine has taken every accepted delivery into
its live state (``signage_observations_total``) and published what changed (``signage_bus_publications_total``).
The baseline answers 202 once it has read the body: what the network, HTTP and the event loop cost alone.
Needs wrk (``apt-get install wrk``).
Run: ``.venv/bin/python bench/ingest.py [--seconds 10] [--connections 32]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deployed import engine_on_redis, feed_token  # noqa: E402  (bench/ is on the path of a bench script)

from signage.demo.payloads import CAR_PARKS  # noqa: E402

PIN = (os.cpu_count() or 1) >= 2
BASELINE = """
import sys
from aiohttp import web
async def feed(request):
    await request.read()
    return web.json_response({"accepted": 1}, status=202)
app = web.Application(client_max_size=4 * 1024 * 1024)
app.router.add_post("/feeds/{feed}", feed)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None,
            print=lambda _: print("listening", flush=True))
"""
# Each request: the next car park and count; no timestamp metadata, so the delivery's arrival is its time.
SCRIPT = """
local parks = {%(parks)s}
local n = 0
request = function()
  n = n + 1
  local park = parks[(n %% #parks) + 1]
  local body = '{"subscriptionId":"bench","data":[{"id":"urn:ngsi-ld:OffStreetParking:' .. park ..
    '","type":"OffStreetParking","availableSpotNumber":{"type":"Number","value":' .. (20 + n %% 400) ..
    ',"metadata":{}}}]}'
  return wrk.format("POST", "/feeds/ngsi", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s"}, body)
end
"""


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    pinned = ["taskset", "-c", "1"] if PIN else []
    out = subprocess.run([*pinned, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    total = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert total and rate, out
    return {"requests": int(total.group(1)), "per_s": float(rate.group(1)),
            "refused": int(errors.group(1)) if errors else 0}


def metric(port: int, name: str, labels: str = "") -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(rf"^{re.escape(name + labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    port = 18290
    results: dict[str, Any] = {"seconds": args.seconds, "connections": args.connections, "pinned": PIN}
    pinned = ["taskset", "-c", "0"] if PIN else []
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "ngsi.lua"
        with engine_on_redis(args.redis, port, pin=pinned) as (_, env):
            script.write_text(SCRIPT % {"parks": ", ".join(f'"{p.id}"' for p in CAR_PARKS),
                                        "token": feed_token("ngsi", env)})
            time.sleep(3.0)
            observed = metric(port, "signage_observations_total", '{feed="ngsi"}')
            published = metric(port, "signage_bus_publications_total")
            began = time.perf_counter()
            load = wrk(f"http://127.0.0.1:{port}", script, args.seconds, args.connections)
            accepted = load["requests"] - load["refused"]
            while (taken := metric(port, "signage_observations_total", '{feed="ngsi"}') - observed) < accepted:
                if time.perf_counter() - began > args.seconds + 120:
                    raise SystemExit(f"the engine took {taken:.0f} of {accepted} accepted deliveries in two minutes"
                                     f" ({load})")
                time.sleep(0.05)
            through = time.perf_counter() - began
            results["engine"] = {**load, "accepted": accepted, "through_s": round(through, 2),
                                 "through_per_s": round(accepted / through),
                                 "publications": int(metric(port, "signage_bus_publications_total") - published)}
        baseline = subprocess.Popen([*pinned, sys.executable, "-c", BASELINE, str(port + 1)],
                                    stdout=subprocess.PIPE, text=True)
        try:
            assert baseline.stdout is not None and "listening" in baseline.stdout.readline()
            results["baseline"] = wrk(f"http://127.0.0.1:{port + 1}", script, args.seconds, args.connections)
        finally:
            baseline.terminate()
            baseline.wait()
    results["accepted_ratio"] = round(results["engine"]["per_s"] / results["baseline"]["per_s"], 3)
    results["through_ratio"] = round(results["engine"]["through_per_s"] / results["baseline"]["per_s"], 3)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
