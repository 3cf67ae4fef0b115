"""Templates cannot exhaust the machine: each way a template could take the processor or the memory, refused, in
the sandbox the engine renders with and in the console's previews.

Guards proven: ``BudgetedSandbox`` (``**`` and ``*`` on integers, repetition, ``~``, ``replace``, ``join``,
ranges, loop steps, calls, slices, output size, the deadline, the removed globals and string methods), the render
budget in ``TemplateLibrary.render`` (the engine: a replayed day with a hostile template goes on), the preview
workers killed at their deadline (``PreviewPool``), publishing refused for a text over budget, and password
hashing on its own bounded workers (``PasswordWorkers``).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from signage.config import demo_config_path, load_config
from signage.replay import replay
from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec
from signage.web.keys import STAFF
from signage.web.preview_pool import PreviewPool, PreviewTimeout
from tests.test_staff_console import PASSWORD, sign_in

HOSTILE = {
    "a huge power": "{{ (10**(4*10**6)) > 1 }}",
    "a huge product": "{% set x = 7**300 %}{{ x * x * x * x }}",
    "a huge repetition": "{{ 'a' * 10**8 }}",
    "a list repeated": "{{ ([1] * 10**7)|length }}",
    "doubling by ~": "{% set x = 'ab' %}" + "{% set x = x ~ x %}" * 40 + "{{ x|length }}",
    "nested loops": "{% for a in range(9000) %}{% for b in range(9000) %}{% endfor %}{% endfor %}",
    "a range too long": "{% for a in range(10**6) %}{% endfor %}",
    "exponential macros": "{% macro f(n) %}{% if n < 30 %}{{ f(n+1) }}{{ f(n+1) }}{% endif %}{% endmacro %}{{ f(0) }}",
    "padding": "{{ 'a'.ljust(10**9) }}",
    "str.format widths": "{{ '{:>999999999}'.format(1) }}",
    "% formatting": "{{ '%0999999999d' % 1 }}",
    "replace growth": "{{ ('a' * 5000)|replace('', 'xxxxxxxxxx') }}",
    "join growth": "{{ range(5000)|join('x' * 5000) }}",
    "sums in a loop": "{% for i in range(9000) %}{{ range(9000)|sum }}{% endfor %}",
    "slices in a loop": "{% set s = 'a' * 9000 %}{% for i in range(9000) %}{{ s[::-1] }}{% endfor %}",
    "a namespace growing": "{% set ns = namespace(s='a') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
                           "{% endfor %}",
    "lorem ipsum": "{{ lipsum(10**6) }}",
}


def library(title: str) -> TemplateLibrary:
    return TemplateLibrary({"t": TemplateSpec("t", {"fr": {"title": title, "lines": ["{{ free }}"]}})})


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_way_to_exhaust_a_render_is_refused_with_a_reason(name: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        library(HOSTILE[name]).render("t", {"free": 12}, "fr")
    assert str(caught.value).startswith("template 't' (fr")


def test_ordinary_templates_render_as_before() -> None:
    text = library("{{ free | number }} {{ free | plural('place', 'places') }} {{ 'darcy'.upper() }} {{ 2 ** 10 }}"
                   "{% for i in range(3) %}-{{ i }}{% endfor %} {{ ['a', 'b']|join(', ') }}").render(
        "t", {"free": 1234}, "fr")
    assert text.title == "1\u202f234 1\u202f234 places DARCY 1024-0-1-2 a, b"


def test_the_engine_renders_under_the_same_budget_and_goes_on(tmp_path: Path) -> None:
    """A template shipped beside the configuration that blows up on some data: the message is refused with a
    reason, the rest of the day is processed."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "greedy.yaml").write_text(yaml.safe_dump({
        "id": "greedy", "example": {"free": 1},
        "fr": {"title": "{% for a in range(free) %}{% for b in range(free) %}{% endfor %}{% endfor %}Darcy",
               "lines": ["{{ free }}"]}}), encoding="utf-8")
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["templates_dir"] = "templates"
    data["rules"].append({"id": "greedy", "when": 'state["parking/darcy"].free >= 0',
                          "then": {"template": "greedy", "params": {"free": 'state["parking/darcy"].free'},
                                   "targets": {"panels": ["darcy"]}, "priority": 90}})
    (tmp_path / "city.yaml").write_text(json.dumps(data), encoding="utf-8")
    config = load_config(tmp_path / "city.yaml")
    from tests.helpers import parking_body

    lines = [json.dumps({"at": f"2026-11-26T08:0{n}:00+01:00", "feed": "ngsi",
                         "body": json.loads(parking_body("darcy", free))}) for n, free in enumerate((500, 3))]
    records = list(replay(config, lines))
    errors = [r for r in records if r["kind"] == "error"]
    assert any("more work than a render may" in r["reason"] for r in errors), errors
    shown = [r for r in records if r["kind"] == "delivery" and r.get("target") == "darcy" and r["format"] == "multi"]
    assert shown[-1]["line"] == 2 and shown[-1]["content"] == "[jl3]3"  # 3 × 3 steps is fine: the panel shows it


def sleepy(seconds: float) -> str:
    time.sleep(seconds)
    return "awake"


def add(a: int, b: int) -> int:
    return a + b


async def test_a_preview_past_its_deadline_costs_its_worker_only() -> None:
    pool = PreviewPool(workers=1, deadline_s=1.0, preload=(__name__,))
    try:
        assert await pool.run(add, 2, 3) == 5  # started, and warm
        with pytest.raises(PreviewTimeout):
            await pool.run(sleepy, 60)
        assert pool.killed == 1
        assert await pool.run(add, 4, 5) == 9  # a fresh worker took its place
    finally:
        await pool.close()


async def editor(client: Any, name: str) -> str:
    await client.app[STAFF].add(name, "editor", PASSWORD)
    return str(await client.app[STAFF].issue_token(name))


async def test_hostile_previews_are_refused_and_the_server_keeps_answering(attacked: Any) -> None:
    tokens = [await editor(attacked, f"editor{n}") for n in range(7)]
    await attacked.app[STAFF].add("visiteur", "viewer", PASSWORD)

    async def preview(token: str, title: str) -> Any:
        return await attacked.post("/api/v1/admin/preview", headers={"Authorization": f"Bearer {token}"},
                                   json={"template": {"fr": {"title": title, "lines": []}}, "params": {}})

    hostile = [asyncio.create_task(preview(t, HOSTILE["nested loops"])) for t in tokens]
    signed_in = await sign_in(attacked, "visiteur")
    picture = await attacked.get("/api/v1/panels/republique/preview.png")
    assert signed_in.status == 303 and picture.status == 200
    for answer in await asyncio.gather(*hostile):
        assert answer.status == 400, await answer.text()
        assert "more work than a render may" in (await answer.json())["error"]["message"]
    power = await preview(tokens[0], HOSTILE["a huge power"])
    assert power.status == 400 and "bits" in (await power.json())["error"]["message"]


async def test_a_text_over_budget_cannot_be_saved_or_published(attacked: Any) -> None:
    token = await editor(attacked, "redacteur")
    spec = {"variants": {"fr": {"title": HOSTILE["a huge repetition"], "lines": ["x"]}}}
    draft = await attacked.post("/api/v1/admin/templates/operator/versions", json=spec,
                                headers={"Authorization": f"Bearer {token}"})
    assert draft.status == 400 and "repeating" in (await draft.json())["error"]["message"]


async def test_a_flood_of_sign_ins_is_told_to_come_back(make_client: Any) -> None:
    client = await make_client()
    await client.app[STAFF].add("camille", "viewer", PASSWORD)
    answers = await asyncio.gather(*(sign_in(client, "camille", **{"X-Forwarded-For": f"198.51.100.{n}"})
                                     for n in range(60)))
    statuses = [a.status for a in answers]
    assert 303 in statuses and 503 in statuses  # the passwords' workers and their queue are bounded
    busy = next(a for a in answers if a.status == 503)
    assert busy.headers["Retry-After"] == "2"
