"""What the render budget costs: every shipped template rendered with its example (every field and channel, as
the engine renders a message), in the engine's budgeted sandbox, against the same library code in Jinja2's plain
immutable sandbox with the same filters and no budget, in one run.

The budget counts loop steps, calls, operators and produced sizes, and checks a deadline, on every render the
engine makes; this measures that price on the templates the city actually uses.
Run: ``.venv/bin/python bench/template_budget_cost.py [--repeat 3000]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from unittest import mock

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from signage import templates
from signage.config import demo_config_path, load_config
from signage.template_filters import TextSettings, filters
from signage.templates import TemplateLibrary


def plain_environment(settings: TextSettings, finalize: Any = None) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                                        finalize=finalize)
    env.filters.update(filters(settings))
    return env


def unbudgeted(library: TemplateLibrary) -> TemplateLibrary:
    """The same templates and the same rendering code, in Jinja2's plain immutable sandbox, without a budget."""
    with mock.patch.object(templates, "_make_environment", plain_environment):
        baseline = TemplateLibrary({i: spec for i in library.ids() if (spec := library.spec(i)) is not None},
                                   library.settings)
    return baseline


def median_us(work: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        work()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3000)
    args = parser.parse_args()
    config = load_config(demo_config_path())
    library = config.templates
    baseline = unbudgeted(library)  # its renders set the budget too, which nothing in them charges
    totals = [0.0, 0.0]
    for template_id in library.ids():
        spec = library.spec(template_id)
        assert spec is not None
        params = dict(spec.example)
        budgeted, plain = [], []
        for _ in range(5):  # alternate, so that the machine's drift falls on both alike
            budgeted.append(median_us(partial(library.render, template_id, params, "fr"), args.repeat // 5))
            plain.append(median_us(partial(baseline.render, template_id, params, "fr"), args.repeat // 5))
        ours, theirs = statistics.median(budgeted), statistics.median(plain)
        totals[0] += ours
        totals[1] += theirs
        print(f"{template_id:20s} budgeted {ours:7.1f} µs   plain sandbox {theirs:7.1f} µs   "
              f"ratio {ours / theirs:5.2f}")
    print(f"{'all templates':20s} budgeted {totals[0]:7.1f} µs   plain sandbox {totals[1]:7.1f} µs   "
          f"ratio {totals[0] / totals[1]:5.2f}")


if __name__ == "__main__":
    main()
