"""The city's message templates: the shipped ones, and those of its ``templates_dir``, each file checked on its
own so that a problem names its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from signage.config.city import ConfigError
from signage.template_filters import LANGUAGE, TextSettings
from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec
from signage.yamlsource import LocatedDict, load_located

__all__ = ["load_templates", "yaml_line"]


def yaml_line(exc: Exception) -> int:
    """The line a YAML error is on."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    match = re.match(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 1


def yaml_problem(exc: Exception, text: str) -> str:
    """A YAML error as a person reads it: what is wrong, what it was in, and the line with a caret under the spot
    (PyYAML's own message quotes the document as ``"<unicode string>"`` twice, on one line)."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem is None or mark is None:
        return str(exc).replace("\n", " ")
    message = str(problem)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context:
        where = f" that starts on line {context_mark.line + 1}" if context_mark is not None else ""
        message += f" ({context}{where})"
    lines = text.splitlines()
    if 0 <= mark.line < len(lines):
        message += f"\n    {lines[mark.line]}\n    {' ' * mark.column}^ column {mark.column + 1}"
    return message


def load_templates(directories: list[Path], errors: list[ConfigError], settings: TextSettings) -> TemplateLibrary:
    """The template files of ``directories`` (a later one overrides an earlier one's template of the same id),
    each compiled for the city; a file with a problem is named in ``errors`` and left out."""
    specs: dict[str, TemplateSpec] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            try:
                data = load_located(text)
            except (yaml.YAMLError, ValueError) as exc:
                errors.append(ConfigError(str(path), yaml_line(exc), "template", yaml_problem(exc, text)))
                continue
            if not isinstance(data, LocatedDict) or not isinstance(data.get("id"), str):
                errors.append(ConfigError(str(path), 1, "id", "a template needs an id"))
                continue
            variants = {k: v for k, v in data.items() if isinstance(v, dict) and LANGUAGE.match(k)}
            if not variants:
                errors.append(ConfigError(str(path), data.line, settings.languages[0],
                                          "a template needs a language variant"))
                continue
            example = data.get("example", {})
            if not isinstance(example, dict):
                errors.append(ConfigError(str(path), data.line, "example", "example: parameter names and values"))
                continue
            spec = TemplateSpec(data["id"], variants, str(data.get("description", "")),
                                str(data.get("pictogram", "")), dict(example))
            try:
                TemplateLibrary({spec.id: spec}, settings)  # compiled alone first, so a problem names its file
            except TemplateProblem as exc:
                errors.append(ConfigError(str(path), data.line, "template", str(exc)))
                continue
            specs[spec.id] = spec
    try:
        return TemplateLibrary(specs, settings)
    except TemplateProblem as exc:
        errors.append(ConfigError(str(directories[-1]), 1, "template", str(exc)))
        return TemplateLibrary({}, settings)
