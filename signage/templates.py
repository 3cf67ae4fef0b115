"""Message templates: per language a title and lines, rendered by Jinja2 in a sandbox.

A template cannot reach Python objects or the file system: the sandbox refuses attribute tricks, and
``StrictUndefined`` makes a missing parameter an error instead of an empty hole on a street panel.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from renderers.abbreviations import abbreviate_word

__all__ = ["RenderedText", "TemplateLibrary", "TemplateProblem", "TemplateSpec"]


class TemplateProblem(ValueError):
    """A template that cannot be compiled or rendered; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RenderedText:
    title: str
    lines: tuple[str, ...]
    language: str
    pictogram: str = ""  # a pictogram name for pixel panels (``parking``, ``air-4``…), or none


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    id: str
    variants: Mapping[str, Mapping[str, Any]]  # language -> {"title": str, "lines": [str]}
    description: str = ""
    pictogram: str = ""  # a Jinja expression giving a pictogram name, shared by every language

    @property
    def version(self) -> str:
        """A digest of what the template says: renders are cached by it, so an edit is never served stale."""
        body = json.dumps([self.variants, self.pictogram], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:12]


def _number(value: Any) -> str:
    """French-style grouping (a thin no-break space), as panels and phones show counts."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}".replace(",", "\u202f")


@pass_context
def _translated(context: Context, value: Any) -> str:
    """Pick the rendering language from a ``{"fr": …, "en": …}`` value (French, then any, as fallbacks)."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    language = context.get("lang", "fr")
    for candidate in (language, "fr", "en", *value):
        if value.get(candidate):
            return str(value[candidate])
    return ""


def _local_time(value: Any, timezone: str = "Europe/Paris") -> str:
    """``2026-11-26T05:00:00Z`` → ``06:00``: an instant as the city's clocks show it."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if instant.tzinfo is None:
        return instant.strftime("%H:%M")
    return instant.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def _plural(count: Any, singular: str, plural: str | None = None) -> str:
    """``{{ n | plural("place", "places") }}`` → "1 place", "12 places" (French: 0 and 1 are singular)."""
    if isinstance(count, bool) or not isinstance(count, int | float):
        return f"{count} {plural or singular + 's'}"
    word = singular if abs(count) < 2 else (plural or singular + "s")
    return f"{_number(count)} {word}"


def _abbreviate(text: Any) -> str:
    """Every word the French sign table abbreviates, abbreviated: for lines that must be short everywhere."""
    return " ".join(abbreviate_word(word) or word for word in str(text).split(" "))


def _make_environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
    env.filters["number"] = _number
    env.filters["upper"] = str.upper
    env.filters["tr"] = _translated
    env.filters["local_time"] = _local_time
    env.filters["plural"] = _plural
    env.filters["abbr"] = _abbreviate
    return env


class TemplateLibrary:
    """Compiled templates by id; ``render`` is pure and raises ``TemplateProblem`` with the template named."""

    def __init__(self, specs: Mapping[str, TemplateSpec]) -> None:
        self._env = _make_environment()
        self._specs = dict(specs)
        self._compiled: dict[tuple[str, str], tuple[Any, tuple[Any, ...]]] = {}
        self._pictograms: dict[str, Any] = {}
        for spec in self._specs.values():
            try:
                self._pictograms[spec.id] = self._env.from_string(spec.pictogram)
            except TemplateError as exc:
                raise TemplateProblem(f"template {spec.id!r} (pictogram): {exc}") from exc
            for language, variant in spec.variants.items():
                try:
                    title = self._env.from_string(str(variant.get("title", "")))
                    lines = tuple(self._env.from_string(str(line)) for line in variant.get("lines", ()))
                except TemplateError as exc:
                    raise TemplateProblem(f"template {spec.id!r} ({language}): {exc}") from exc
                self._compiled[(spec.id, language)] = (title, lines)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._specs

    def ids(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, template_id: str) -> TemplateSpec | None:
        return self._specs.get(template_id)

    def with_overrides(self, overrides: Mapping[str, TemplateSpec]) -> TemplateLibrary:
        """This library with some templates replaced (published versions from the console)."""
        return TemplateLibrary({**self._specs, **overrides})

    def version(self, template_id: str) -> str:
        spec = self._specs.get(template_id)
        return spec.version if spec else ""

    def render(self, template_id: str, params: Mapping[str, Any], language: str) -> RenderedText:
        """Render in ``language``, falling back to French then to any variant the template has."""
        spec = self._specs.get(template_id)
        if spec is None:
            raise TemplateProblem(f"unknown template {template_id!r}")
        for candidate in (language, "fr", *sorted(spec.variants)):
            if (template_id, candidate) in self._compiled:
                title, lines = self._compiled[(template_id, candidate)]
                break
        try:
            context = {**params, "lang": candidate}
            rendered_lines = tuple(line.render(context) for line in lines)
            return RenderedText(title.render(context), tuple(x for x in rendered_lines if x.strip()), candidate,
                                self._pictograms[template_id].render(context).strip())
        except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
            # Parameters come from live data: a comparison or format that fails is the template's problem to
            # report, never a crash of the pipeline.
            raise TemplateProblem(f"template {template_id!r} ({candidate}): {exc}") from exc
