"""Render cost per panel per format, the render cache against rendering every panel, and its hit ratio on the demo.

1. One message, each output format, on each profile it applies to: median microseconds per render (CPU time).
2. 1,000 panels of one profile showing one message: cost per panel with the shared cache (the engine's way)
   against a fresh render per panel (the baseline), in the same run; the ratio is the point.
3. The recorded Dijon morning (``tests/fixtures/dijon-morning.jsonl``) replayed through the pipeline: how often a
   panel's MULTI came from the cache.
Run: ``.venv/bin/python bench/render_cost.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import yaml

from renderers.cache import RenderCache
from renderers.cap_out import render_cap
from renderers.kiosk import render_static_page
from renderers.multi import LedText, compose_multi
from renderers.multi_render import render_multi
from renderers.panel_content import LedResult, led_multi
from renderers.preview import panel_preview_png
from renderers.push import push_payload
from renderers.raster import frame_bytes, scheme_of
from signage.config import Config, demo_config_path, load_config
from signage.model import Alert, Profile
from signage.replay import replay

ROOT = Path(__file__).resolve().parents[1]
TEXT = LedText(("Darcy 1\u202f200 places", "Dauphine COMPLET", "Grangier 85 places"), "parking")


def per_call_us(work: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.process_time_ns()
        work()
        samples.append((time.process_time_ns() - start) / 1000)
    return statistics.median(samples)


def raw_frames(multi: str, profile: Profile) -> list[bytes]:
    return [frame_bytes(page.raster, scheme_of(profile.colour)) for page in render_multi(multi, profile).pages]


def formats(repeat: int) -> None:
    config = load_config(demo_config_path())
    print("1. one render, median CPU microseconds")
    print(f"   {'format':<22}{'profile':<20}{'µs':>10}")
    for name in ("char-3x20", "full-96x32-amber", "full-192x64-rgb"):
        profile = config.profiles[name]
        multi = compose_multi([TEXT], profile)
        rows: dict[str, Callable[[], object]] = {
            "multi (generate)": partial(compose_multi, [TEXT], profile),
            "multi (validate)": partial(render_multi, multi, profile),
            "raw frame": partial(raw_frames, multi, profile),
            "png preview": partial(panel_preview_png, {"multi": multi, "pages": []}, profile),
        }
        for label, work in rows.items():
            print(f"   {label:<22}{name:<20}{per_call_us(work, repeat):>10.0f}")
    content = {"panel": "gare", "name": "Gare", "language": "fr", "pages": [
        {"message": "m", "lane": "rule", "severity": None, "title": "Parkings", "lines": list(TEXT.lines),
         "language": "fr"}]}
    now = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    alert = Alert("a1", "Dijon Métropole", now, "alert", "severe", "immediate", "Crue",
                  {"fr": "Crue de l'Ouche", "en": "Flood"}, {"fr": "Quais fermés"}, ("dijon-centre",),
                  now + timedelta(hours=6))
    others = {
        "kiosk html": lambda: render_static_page(content),
        "push payload": lambda: push_payload(title="Parkings", body="\n".join(TEXT.lines), url="/", tag="p",
                                             language="fr"),
        "cap 1.2": lambda: render_cap(alert, sender="a@b.fr", sender_name="Dijon", sent=now,
                                      zones=[config.zones["dijon-centre"]]),
    }
    for label, work in others.items():
        print(f"   {label:<22}{'kiosk-1080p' if 'kiosk' in label else '-':<20}{per_call_us(work, repeat):>10.0f}")


def thousand_panels(panels: int) -> None:
    config = load_config(demo_config_path())
    profile = config.profiles["full-96x32-amber"]
    texts = (("parking", TEXT),)
    shared: RenderCache[LedResult] = RenderCache()
    start = time.process_time()
    for _ in range(panels):
        led_multi(profile, texts, shared)
    cached = time.process_time() - start
    start = time.process_time()
    for _ in range(panels):
        led_multi(profile, texts, RenderCache())
    uncached = time.process_time() - start
    print(f"2. {panels} panels of full-96x32-amber, one message")
    print(f"   shared cache: {cached / panels * 1e6:8.1f} µs per panel ({shared.misses} render, {shared.hits} hits)")
    print(f"   no cache:     {uncached / panels * 1e6:8.1f} µs per panel")
    print(f"   ratio:        {uncached / cached:8.0f}x cheaper with the cache")


def demo_config(copies: int, directory: Path) -> Config:
    """The demo, with each panel standing ``copies`` times in the same place (a city with many signs)."""
    if copies == 1:
        return load_config(demo_config_path())
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["panels"] = [{**panel, "id": f"{panel['id']}-{n}"} for panel in data["panels"] for n in range(copies)]
    data["rules"] = [{**rule, "then": {**rule["then"], "targets": {
        k: ([f"{p}-{n}" for p in v for n in range(copies)] if k == "panels" else v)
        for k, v in rule["then"].get("targets", {}).items()}}} for rule in data.get("rules", [])]
    path = directory / "city.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")  # JSON is YAML, no aliases
    return load_config(path)


def demo_hit_ratio(copies: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = demo_config(copies, Path(directory))
    lines = (ROOT / "tests" / "fixtures" / "dijon-morning.jsonl").read_text(encoding="utf-8").splitlines()
    from signage import pipeline as pipeline_module

    caches: list[RenderCache[LedResult]] = []
    original = pipeline_module.Pipeline.__init__

    def keep(self: pipeline_module.Pipeline, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        caches.append(self.board.led_cache)

    pipeline_module.Pipeline.__init__ = keep  # type: ignore[method-assign]
    try:
        records = sum(1 for _ in replay(config, lines))
    finally:
        pipeline_module.Pipeline.__init__ = original  # type: ignore[method-assign]
    cache = caches[0]
    print(f"3. the Dijon morning, {len(config.panels)} panels ({len(lines)} deliveries, {records} records)")
    print(f"   LED renders: {cache.misses} misses, {cache.hits} hits, hit ratio {cache.hit_ratio:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--panels", type=int, default=1000)
    args = parser.parse_args()
    formats(args.repeat)
    thousand_panels(args.panels)
    demo_hit_ratio(1)
    demo_hit_ratio(100)


if __name__ == "__main__":
    main()
