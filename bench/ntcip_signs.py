"""NTCIP signs: 500 simulated signs each change their message once; how long until every sign confirms, with the
engine's concurrent sender (one request in flight per sign, every sign at once) against a sequential loop of the
same SNMP exchanges, in the same run.

The signs are SNMP agents in separate processes (``tests.ntcip_sign``, 100 signs per process by default), each
sign its own SNMPv2c community, so the manager and the agents do not share a CPU's event loop. A change is the
whole v03 lifecycle the driver runs for a new message (``NtcipSign.send``): modifyReq, MULTI with owner and
priority, validateReq, status and CRC read back, activation, ``dmsMsgTableSource`` read to confirm: 4 SETs and
2 GETs per sign. Each round writes a new message to every sign (the row not shown), so nothing is skipped.

Run: ``.venv/bin/python bench/ntcip_signs.py [--signs 500] [--agents 5] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.ntcip_sign import NtcipSign  # noqa: E402
from channels.snmp_link import SnmpCredentials, SnmpEngines, SnmpLink  # noqa: E402
from renderers.ntcip_mib import MemoryType, object_name  # noqa: E402


def start_agents(count: int, per_agent: int) -> tuple[list[subprocess.Popen[str]], list[int]]:
    processes, ports = [], []
    for _ in range(count):
        process = subprocess.Popen([sys.executable, "-m", "tests.ntcip_sign", "--port", "0", "--signs",
                                    str(per_agent)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        ports.append(int(json.loads(process.stdout.readline())["port"]))
        processes.append(process)
    return processes, ports


async def change(sign: NtcipSign, multi: str, number: int, latencies: list[float]) -> None:
    started = time.perf_counter()
    shows = await sign.send(multi, number, duration_min=10)
    assert shows.memory_type == MemoryType.CHANGEABLE and shows.number == number
    latencies.append(time.perf_counter() - started)


async def run(signs: int, agents: int, rounds: int) -> dict[str, object]:
    per_agent = -(-signs // agents)
    processes, ports = start_agents(agents, per_agent)
    engines = SnmpEngines()
    try:
        fleet = [NtcipSign(SnmpLink(engines, "127.0.0.1", ports[i // per_agent],
                                    SnmpCredentials(community=f"sign-{i % per_agent + 1}"), timeout_s=5.0,
                                    retries=2, name=object_name))
                 for i in range(signs)]
        results: dict[str, list[float]] = {"sequential": [], "concurrent": []}
        latencies: dict[str, list[float]] = {"sequential": [], "concurrent": []}
        step = 0
        for _ in range(rounds):
            for mode in ("sequential", "concurrent"):
                step += 1
                number = 1 + step % 2  # the row not shown
                multi = f"[jl3]CHANGEMENT {step}[nl]PARKING DARCY[nl]{step * 7} PLACES"
                started = time.perf_counter()
                if mode == "sequential":
                    for sign in fleet:
                        await change(sign, multi, number, latencies[mode])
                else:
                    await asyncio.gather(*(change(sign, multi, number, latencies[mode]) for sign in fleet))
                results[mode].append(time.perf_counter() - started)
        sequential, concurrent = statistics.median(results["sequential"]), statistics.median(results["concurrent"])
        return {
            "signs": signs, "agents": agents, "rounds": rounds,
            "sequential_s": round(sequential, 2), "concurrent_s": round(concurrent, 2),
            "speedup": round(sequential / concurrent, 1),
            "per_sign_ms_sequential": round(statistics.median(latencies["sequential"]) * 1000, 1),
            "per_sign_ms_concurrent_p50": round(statistics.median(latencies["concurrent"]) * 1000, 1),
            "per_sign_ms_concurrent_max": round(max(latencies["concurrent"]) * 1000, 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        }
    finally:
        engines.close()
        for process in processes:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signs", type=int, default=500)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.signs, args.agents, args.rounds)), ensure_ascii=False))


if __name__ == "__main__":
    main()
