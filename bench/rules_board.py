"""Throughput of state changes through rules and the board, indexed against evaluating every rule.

A synthetic city: 1,000 live keys, 300 rules targeting 20 panel tags, 100 LED panels. Two kinds of rule:
``threshold`` rules read one car park ("Darcy almost full: 12 places"), ``guidance`` rules read three and
show all three. Each state change is one observation pushed through ``Pipeline.ingest`` as the engine runs
it: live state, the rules it wakes, the board and the renderers of the panels whose content changed. Values
move at random between 0 and 60 free places, so a woken rule nearly always changes what it shows: a harsh
case. The baseline is the same pipeline evaluating every rule on every change.

Two ways of stepping, each against its baseline: one change per step (a quiet city: each delivery is applied
alone) and ``--burst`` changes per step (a busy one: the engine takes the deliveries of one feed that waited on
the stream as one step). The best of ``--repeat`` runs is kept: the shared machine only ever makes a run slower.
Run: ``.venv/bin/python bench/rules_board.py``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from signage.config import Config, load_config
from signage.model import Observation
from signage.pipeline import Pipeline

KEYS, RULES, PANELS, TAGS = 1000, 300, 100, 20


def synthetic_config(directory: Path, kind: str) -> Config:
    lines = ["city: Benchville", "timezone: Europe/Paris", "languages: [fr, en]", "zones:", "  - {id: z, name: Z}",
             "panels:"]
    for p in range(PANELS):
        lines.append(f"  - {{id: p{p}, name: P{p}, lat: 47.3, lon: 5.0, zone: z, profile: char-3x20, "
                     f"tags: [t{p % TAGS}]}}")
    lines += ["feeds:", "  - {id: f, format: ngsi-v2, max_age: 1d, auth: token}", "topics:",
              "  - {pattern: 'parking/*', title: P}", "rules:"]
    rng = random.Random(7)
    for r in range(RULES):
        a, b, c = rng.sample(range(KEYS), 3)
        if kind == "threshold":
            lines += [
                f"  - id: r{r}",
                f"    when: 'state[\"parking/k{a}\"].free < 20'",
                "    then:",
                "      template: parking-single",
                f"      params: {{name: '\"K{a}\"', free: 'state[\"parking/k{a}\"].free'}}",
                f"      targets: {{tags: [t{r % TAGS}]}}",
                f"      priority: {rng.randint(10, 90)}",
            ]
            continue
        lines += [
            f"  - id: r{r}",
            f"    when: 'state[\"parking/k{a}\"].free < 20 || state[\"parking/k{b}\"].free < 20'",
            "    then:",
            "      template: parking-guidance",
            "      params:",
            f"        a_name: '\"K{a}\"'",
            f"        a_free: 'state[\"parking/k{a}\"].free'",
            f"        b_name: '\"K{b}\"'",
            f"        b_free: 'state[\"parking/k{b}\"].free'",
            f"        c_name: '\"K{c}\"'",
            f"        c_free: 'state[\"parking/k{c}\"].free'",
            f"      targets: {{tags: [t{r % TAGS}]}}",
            f"      priority: {rng.randint(10, 90)}",
        ]
    path = directory / "bench.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


def changes(count: int, start: datetime) -> list[Observation]:
    rng = random.Random(11)
    return [Observation(f"parking/k{rng.randrange(KEYS)}", {"free": rng.randint(0, 60)},
                        start + timedelta(milliseconds=i), "f") for i in range(count)]


def run(config: Config, observations: list[Observation], use_index: bool, per_step: int = 1) -> float:
    for cache in caches_of_the_process():  # each run starts cold, as the first would
        cache.cache_clear()
    pipeline = Pipeline(config, use_index=use_index, describe_messages=False,  # as the engine runs it
                        record_deliveries=False)
    start = observations[0].observed_at
    pipeline.start(start)
    for key in range(KEYS):  # every key has a value before timing, and every rule has run once
        pipeline.ingest([Observation(f"parking/k{key}", {"free": 15 + key % 10}, start, "f")], [], start)
    steps = [observations[i : i + per_step] for i in range(0, len(observations), per_step)]
    # CPU time of this process: what one core spends, without the wall-clock noise of a shared machine.
    began = time.process_time()
    for step in steps:
        pipeline.ingest(step, [], step[-1].observed_at)
    return len(observations) / (time.process_time() - began)


def caches_of_the_process() -> list[Any]:
    """The caches a process keeps across pipelines (checked MULTI pages, formatted instants)."""
    import renderers.multi
    import signage.timeutil

    return [renderers.multi._refusal, signage.timeutil.format_instant]


def best(repeat: int, config: Config, observations: list[Observation], use_index: bool, per_step: int) -> float:
    return max(run(config, observations, use_index, per_step) for _ in range(repeat))


def cel_candidates(evaluations: int = 2000) -> dict[str, float]:
    """Cost per evaluation of the two maintained CEL packages on the same expression and context."""
    expression = 'state["parking/darcy"].free < 20 && state["parking/darcy"].stale == false && now.hour >= 7'
    context = {"state": {"parking/darcy": {"free": 12, "stale": False}}, "now": {"hour": 9}}
    results: dict[str, float] = {}
    import cel

    program = cel.compile(expression)
    began = time.perf_counter()
    for _ in range(evaluations):
        program.execute(context)
    results["common-expression-language"] = (time.perf_counter() - began) / evaluations * 1e6
    try:
        import celpy
    except ImportError:
        return results
    env = celpy.Environment()
    compiled = env.program(env.compile(expression))
    began = time.perf_counter()
    for _ in range(evaluations // 10):
        compiled.evaluate(celpy.json_to_cel(context))
    results["cel-python"] = (time.perf_counter() - began) / (evaluations // 10) * 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=20_000)
    parser.add_argument("--burst", type=int, default=100, help="changes per step when busy")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each figure; the best is kept")
    args = parser.parse_args()
    observations = changes(args.changes, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    baseline_n = max(500, args.changes // 20)
    print(f"{KEYS} keys, {RULES} rules, {PANELS} panels, {args.changes} changes (baseline: {baseline_n}), "
          f"best of {args.repeat}")
    for kind in ("threshold", "guidance"):
        with tempfile.TemporaryDirectory() as directory:
            config = synthetic_config(Path(directory), kind)
        for per_step in (1, args.burst):
            indexed = best(args.repeat, config, observations, True, per_step)
            baseline = best(args.repeat, config, observations[:baseline_n], False, per_step)
            print(f"{kind:9s} rules, {per_step:3d} per step: indexed {indexed:8,.0f} changes/s; every rule "
                  f"{baseline:6,.0f} changes/s; ratio {indexed / baseline:6.1f} x")
    for name, micros in cel_candidates().items():
        print(f"CEL {name:27s} {micros:8.1f} µs per evaluation")


if __name__ == "__main__":
    main()
