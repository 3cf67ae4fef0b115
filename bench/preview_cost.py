"""What a keystroke in the template editor costs the server: the full preview (every LED sign as a PNG, the kiosk,
the phone notification and the CAP document, from every channel variant) against the baseline of the LED
signs and the push payload alone (what a preview without channel variants renders), in the same run.

The editor asks for a preview 150 ms after the last keystroke; a preview well under that keeps up with typing.
Run: ``.venv/bin/python bench/preview_cost.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from renderers.multi import LedText, compose_multi
from renderers.preview import panel_preview_png
from renderers.push import push_payload
from signage.config import Config, demo_config_path, load_config
from signage.model import ProfileKind
from signage.templates import TemplateLibrary, TemplateSpec
from signage.web.template_preview import PreviewSetting, render_preview

TEMPLATE: dict[str, Any] = {
    "pictogram": "parking",
    "fr": {
        "title": "Parkings",
        "lines": ["{{ a_name }} {{ a_free | number }} pl", "{{ b_name }} {{ b_free | number }} pl",
                  "{{ c_name }} {{ c_free | number }} pl"],
        "multi": "[jl3]{{ a_name | upper }} {{ a_free }}[nl]{{ b_name | upper }} {{ b_free }}",
        "kiosk": {"title": "Stationnement au centre"},
        "push": {"title": "{{ a_name }} : {{ a_free | plural('place') }}"},
        "cap": {"instruction": "Garez-vous en périphérie"},
    },
}
PARAMS = {"a_name": "Darcy", "a_free": 1200, "b_name": "Dauphine", "b_free": 0, "c_name": "Grangier", "c_free": 85}


def signs_and_push_only(config: Config) -> None:
    """The baseline: the language's lines on every LED sign as a PNG, and the push payload."""
    library = TemplateLibrary({"t": TemplateSpec("t", {"fr": TEMPLATE["fr"]}, "", TEMPLATE["pictogram"])})
    text = library.render("t", PARAMS, "fr")
    for profile in config.profiles.values():
        if profile.kind is not ProfileKind.KIOSK:
            multi = compose_multi([LedText(text.lines, text.pictogram)], profile)
            panel_preview_png({"multi": multi, "pages": []}, profile)
    push_payload(title=text.title, body=" ".join(text.lines), url="/", tag="preview", language="fr")


def median_ms(work: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        work()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    config = load_config(demo_config_path())
    body = {"template": TEMPLATE, "params": PARAMS, "language": "fr"}
    setting = PreviewSetting.of(config)
    render_preview(setting, body)  # warm the font and pictogram caches, as a running server has them
    signs_and_push_only(config)
    full = median_ms(lambda: render_preview(setting, body), args.repeat)
    baseline = median_ms(lambda: signs_and_push_only(config), args.repeat)
    print(f"preview, every channel:        {full:7.2f} ms (median of {args.repeat})")
    print(f"baseline, LED signs and push:  {baseline:7.2f} ms")
    print(f"ratio full / baseline:         {full / baseline:7.2f}")
    print(f"share of the 150 ms debounce:  {full / 150:7.1%}")


if __name__ == "__main__":
    main()
