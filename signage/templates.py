"""Message templates: per language a title and lines, and a variant per channel, rendered by Jinja2 in a sandbox.

A language variant has a ``title`` and ``lines`` that every channel falls back to, and may say something else on a
channel (``CHANNEL_FIELDS``): shorter ``led`` lines for text signs, a hand-written ``multi`` pattern (colours,
flashing, justification) for NTCIP text signs, ``pixel`` lines for full-matrix panels, a longer ``kiosk`` text, a
``push`` title and body, and a ``cap`` headline, description and instruction.

A template cannot reach Python objects or the file system: the sandbox refuses attribute tricks, and
``StrictUndefined`` makes a missing parameter an error instead of an empty hole on a street panel. Nor can it
exhaust the machine: every render runs under a budget (``signage.template_budget``). In a ``multi``
pattern every value inserted is escaped, so live data cannot smuggle MULTI tags onto a sign.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateError

from signage.safe_text import clean
from signage.template_budget import BudgetedSandbox, BudgetExceeded, render_budget
from signage.template_filters import LANGUAGE, TextSettings, escaped_for_multi, filters

__all__ = ["CHANNEL_FIELDS", "ChannelText", "RenderedText", "TemplateLibrary", "TemplateProblem", "TemplateSpec",
           "normalize_variant"]

# The fields each channel variant may give: (title field, line fields); a missing field falls back to the
# language's own title and lines. ``multi`` is one MULTI pattern instead.
CHANNEL_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "led": ("title", ("lines",)),
    "pixel": ("title", ("lines",)),
    "kiosk": ("title", ("lines",)),
    "push": ("title", ("body",)),
    "cap": ("headline", ("description", "instruction")),
}
MAX_LINES = 8
MAX_FIELD = 2000


class TemplateProblem(ValueError):
    """A template that cannot be compiled or rendered; the message says which and why. ``over_budget``: it asked
    for more than a render may take (``signage.template_budget``), whatever its parameters."""

    def __init__(self, message: str, over_budget: bool = False) -> None:
        super().__init__(message)
        self.over_budget = over_budget


@dataclass(frozen=True, slots=True)
class ChannelText:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RenderedText:
    title: str
    lines: tuple[str, ...]
    language: str
    pictogram: str = ""  # a pictogram name for pixel panels (``parking``, ``air-4``…), or none
    channels: Mapping[str, ChannelText] = field(default_factory=dict)  # what the template says per channel
    multi: str = ""  # a MULTI pattern for text signs, values escaped; "" when the template has none

    def on(self, channel: str) -> ChannelText:
        """The title and lines for ``led``, ``pixel`` or ``kiosk``: the channel's own, or the language's."""
        return self.channels.get(channel) or ChannelText(self.title, self.lines)

    def push_text(self) -> tuple[str, str]:
        """(title, body) of a phone notification."""
        own = self.channels.get("push")
        return (own.title, own.lines[0]) if own else (self.title, " ".join(self.lines))

    def cap_text(self) -> tuple[str, str, str]:
        """(headline, description, instruction) of a CAP ``info``."""
        own = self.channels.get("cap")
        if own:
            return own.title, own.lines[0], own.lines[1]
        return self.title, "\n".join(self.lines), ""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    id: str
    variants: Mapping[str, Mapping[str, Any]]  # language -> {"title", "lines", and channel variants}
    description: str = ""
    pictogram: str = ""  # a Jinja expression giving a pictogram name, shared by every language
    example: Mapping[str, Any] = field(default_factory=dict)  # sample parameters, for previews in the console

    @property
    def version(self) -> str:
        """A digest of what the template says: renders are cached by it, so an edit is never served stale."""
        body = json.dumps([self.variants, self.pictogram], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:12]


def normalize_variant(language: str, raw: Any) -> dict[str, Any]:
    """A language variant in its stored shape, or ``TemplateProblem`` saying what is wrong with it."""
    where = f"variant {language!r}"
    if not LANGUAGE.match(language) or not isinstance(raw, Mapping):
        raise TemplateProblem(f"{where}: {{title: text, lines: [texts], and optionally {', '.join(CHANNEL_FIELDS)}, "
                              "multi}")
    unknown = set(raw) - {"title", "lines", "multi", *CHANNEL_FIELDS}
    if unknown:
        raise TemplateProblem(f"{where}: unknown {', '.join(sorted(unknown))} (channels: "
                              f"{', '.join([*CHANNEL_FIELDS, 'multi'])})")
    variant: dict[str, Any] = {"title": _text(raw.get("title", ""), f"{where} title"),
                               "lines": _lines(raw.get("lines", []), f"{where} lines")}
    if raw.get("multi"):
        variant["multi"] = _text(raw["multi"], f"{where} multi")
    for channel, (title_field, line_fields) in CHANNEL_FIELDS.items():
        given = raw.get(channel)
        if not given:
            continue
        if not isinstance(given, Mapping) or set(given) - {title_field, *line_fields}:
            raise TemplateProblem(f"{where} {channel}: {{{', '.join([title_field, *line_fields])}}}")
        out: dict[str, Any] = {}
        for name in (title_field, *line_fields):
            if given.get(name) not in (None, "", []):
                check = _lines if name == "lines" else _text
                out[name] = check(given[name], f"{where} {channel} {name}")
        if out:
            variant[channel] = out
    return variant


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool) or len(str(value)) > MAX_FIELD:
        raise TemplateProblem(f"{where}: a text of at most {MAX_FIELD} characters")
    return str(value)


def _lines(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_LINES:
        raise TemplateProblem(f"{where}: a list of at most {MAX_LINES} texts")
    return [_text(x, where) for x in value]


def _make_environment(settings: TextSettings, finalize: Any = None) -> BudgetedSandbox:
    env = BudgetedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, finalize=finalize)
    for name, function in filters(settings).items():
        env.add_filter(name, function)
    return env


@dataclass(frozen=True, slots=True)
class _Compiled:
    title: Any
    lines: tuple[Any, ...]
    channels: Mapping[str, tuple[Any | None, tuple[Any | None, ...] | None]]  # None: the language's own
    multi: Any | None


class TemplateLibrary:
    """Compiled templates by id; ``render`` is pure and raises ``TemplateProblem`` with the template named."""

    def __init__(self, specs: Mapping[str, TemplateSpec], settings: TextSettings | None = None) -> None:
        self.settings = settings = settings or TextSettings()
        self._env = _make_environment(settings)
        self._multi_env = _make_environment(settings, finalize=escaped_for_multi)
        self._specs = dict(specs)
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._pictograms: dict[str, Any] = {}
        self._versions = {spec.id: spec.version for spec in self._specs.values()}  # a digest each: made once
        for spec in self._specs.values():
            try:
                self._pictograms[spec.id] = self._env.from_string(spec.pictogram)
            except TemplateError as exc:
                raise TemplateProblem(f"template {spec.id!r} (pictogram): {exc}") from exc
            for language, raw in spec.variants.items():
                self._compiled[(spec.id, language)] = self._compile(spec.id, language, raw)

    def _compile(self, template_id: str, language: str, raw: Mapping[str, Any]) -> _Compiled:
        variant = normalize_variant(language, raw)
        where = f"template {template_id!r} ({language}"
        try:
            title = self._env.from_string(variant["title"])
            lines = tuple(self._env.from_string(line) for line in variant["lines"])
        except TemplateError as exc:
            raise TemplateProblem(f"{where}): {exc}") from exc
        channels: dict[str, tuple[Any | None, tuple[Any | None, ...] | None]] = {}
        for channel, (title_field, line_fields) in CHANNEL_FIELDS.items():
            given = variant.get(channel)
            if not given:
                continue
            try:
                own_title = self._env.from_string(given[title_field]) if title_field in given else None
                own_lines: tuple[Any | None, ...] | None
                if channel in ("led", "pixel", "kiosk"):
                    own_lines = tuple(self._env.from_string(x) for x in given["lines"]) if "lines" in given else None
                else:  # push and cap: fixed fields, each a template or None (the language's text stands in)
                    own_lines = tuple(self._env.from_string(given[name]) if name in given else None
                                      for name in line_fields)
            except TemplateError as exc:
                raise TemplateProblem(f"{where}, {channel}): {exc}") from exc
            channels[channel] = (own_title, own_lines)
        try:
            multi = self._multi_env.from_string(variant["multi"]) if variant.get("multi") else None
        except TemplateError as exc:
            raise TemplateProblem(f"{where}, multi): {exc}") from exc
        return _Compiled(title, lines, channels, multi)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._specs

    def ids(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, template_id: str) -> TemplateSpec | None:
        return self._specs.get(template_id)

    def with_overrides(self, overrides: Mapping[str, TemplateSpec]) -> TemplateLibrary:
        """This library with some templates replaced (published versions from the console)."""
        return TemplateLibrary({**self._specs, **overrides}, self.settings)

    def version(self, template_id: str) -> str:
        return self._versions.get(template_id, "")

    def render(self, template_id: str, params: Mapping[str, Any], language: str) -> RenderedText:
        """Render in ``language``, falling back to the city's first language then to any variant the template
        has."""
        spec = self._specs.get(template_id)
        if spec is None:
            raise TemplateProblem(f"unknown template {template_id!r}")
        for candidate in (language, self.settings.languages[0], *sorted(spec.variants)):
            if (template_id, candidate) in self._compiled:
                compiled = self._compiled[(template_id, candidate)]
                break
        with render_budget():  # one budget for the whole message: every field and channel
            return self._render(template_id, compiled, params, candidate)

    def _render(self, template_id: str, compiled: _Compiled, params: Mapping[str, Any], candidate: str
                ) -> RenderedText:
        where = f"template {template_id!r} ({candidate})"
        try:
            context = {**params, "lang": candidate}
            title = clean(compiled.title.render(context))
            lines = _shown(line.render(context) for line in compiled.lines)
            channels = {}
            for channel, (own_title, own_lines) in compiled.channels.items():
                where = f"template {template_id!r} ({candidate}, {channel})"
                if channel in ("push", "cap"):
                    assert own_lines is not None
                    stand_in = (" ".join(lines),) if channel == "push" else ("\n".join(lines), "")
                    rendered = tuple(clean(x.render(context)) if x is not None else default
                                     for x, default in zip(own_lines, stand_in, strict=True))
                else:
                    rendered = lines if own_lines is None else _shown(x.render(context) for x in own_lines if x)
                channels[channel] = ChannelText(clean(own_title.render(context)) if own_title else title, rendered)
            where = f"template {template_id!r} ({candidate}, multi)"
            multi = clean(compiled.multi.render(context)) if compiled.multi is not None else ""
            where = f"template {template_id!r} ({candidate}, pictogram)"
            pictogram = self._pictograms[template_id].render(context).strip()
        except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError, MemoryError
                ) as exc:
            # Parameters come from live data: a comparison or format that fails is the template's problem to
            # report, never a crash of the pipeline; so is a template that asks for more than a render may take.
            over = isinstance(exc, BudgetExceeded | RecursionError | MemoryError)
            raise TemplateProblem(f"{where}: {exc}", over_budget=over) from exc
        return RenderedText(title, lines, candidate, pictogram, channels, multi.strip())


def _shown(lines: Any) -> tuple[str, ...]:
    """Lines that say something, without control characters or bidi overrides: an empty line (a missing
    optional value) takes no room on a sign."""
    return tuple(clean(x) for x in lines if x.strip())
