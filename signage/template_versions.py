"""Template versions: draft → in review → published, with rollback. One table of moves; illegal moves raise.

Editing never touches the street: only publishing does, and every way to publish (approving, rolling back) needs
an approver other than the author to have read that exact text.
Published versions override the template files of the same id; the engine applies them (see ``Engine``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signage.template_filters import TextSettings
from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec, normalize_variant
from signage.timeutil import format_instant

__all__ = ["MOVES", "IllegalMove", "TemplateVersion", "check_spec", "move", "republished", "spec_changes"]

# (state, action) -> new state
MOVES: Mapping[tuple[str, str], str] = {
    ("draft", "submit"): "review",
    ("review", "approve"): "published",
    ("review", "reject"): "draft",
    ("published", "supersede"): "superseded",
    ("superseded", "supersede"): "superseded",
}


class IllegalMove(ValueError):
    """A move the lifecycle does not allow, or a person who may not make it."""


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    template: str
    number: int
    spec: Mapping[str, Any]  # {"variants": {lang: {title, lines}}, "pictogram": str}
    state: str
    author: str
    history: tuple[Mapping[str, str], ...] = ()  # every move: who, what, when
    reviewed_by: str | None = None  # the approver, not the author, who published this exact text

    @property
    def once_published(self) -> bool:
        """Published now or before, after another approver than its author read this very text."""
        return (self.state in ("published", "superseded") and self.reviewed_by is not None
                and self.reviewed_by != self.author)

    @property
    def key(self) -> str:
        return f"{self.template}:{self.number:06d}"

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "number": self.number, "spec": dict(self.spec), "state": self.state,
                "author": self.author, "history": [dict(h) for h in self.history], "reviewed_by": self.reviewed_by}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> TemplateVersion:
        history = tuple(doc.get("history", ()))
        reviewed_by = doc.get("reviewed_by") or next(  # versions kept before the field: their approval
            (str(h["by"]) for h in history if h.get("action") == "approve" and h.get("by") != doc["author"]), None)
        return cls(str(doc["template"]), int(doc["number"]), dict(doc["spec"]), str(doc["state"]),
                   str(doc["author"]), history, reviewed_by)

    def as_spec(self) -> TemplateSpec:
        return TemplateSpec(self.template, dict(self.spec["variants"]), "", str(self.spec.get("pictogram", "")))


def check_spec(template: str, spec: Any, settings: TextSettings) -> dict[str, Any]:
    """A version's content, compiled in the sandbox to be sure it renders; raises ``TemplateProblem``. The city's
    own language (its first) must have a variant: every other falls back to it."""
    if not isinstance(spec, dict) or not isinstance(spec.get("variants"), dict):
        raise TemplateProblem("give variants: {language: {title, lines, and channel variants}}")
    variants = {str(language): normalize_variant(str(language), variant)
                for language, variant in spec["variants"].items()}
    if settings.languages[0] not in variants:
        raise TemplateProblem(f"a variant in the city's language ({settings.languages[0]}) is required")
    pictogram = str(spec.get("pictogram", ""))[:100]
    TemplateLibrary({template: TemplateSpec(template, variants, "", pictogram)}, settings)
    return {"variants": variants, "pictogram": pictogram}


def move(version: TemplateVersion, action: str, actor: str, role_ok: bool, now: datetime) -> TemplateVersion:
    """Apply ``action`` by ``actor``; approving one's own version is refused (four eyes)."""
    target = MOVES.get((version.state, action))
    if target is None:
        raise IllegalMove(f"a {version.state} version cannot be {action}d")
    if not role_ok:
        raise IllegalMove(f"{action} needs the approver role")
    if action == "approve" and actor == version.author:
        raise IllegalMove("another approver than the author must publish it")
    entry = {"action": action, "by": actor, "at": format_instant(now)}
    return TemplateVersion(version.template, version.number, version.spec, target, version.author,
                           (*version.history, entry), actor if action == "approve" else version.reviewed_by)


def republished(earlier: TemplateVersion, number: int, actor: str, now: datetime) -> TemplateVersion:
    """``earlier`` published again as version ``number`` (a rollback): only a text that another approver than
    its author once published may come back, so no path to the street skips the second pair of eyes."""
    if not earlier.once_published:
        raise IllegalMove(f"version {earlier.number} was never published after another approver read it: "
                          "submit it for review instead")
    entry = {"action": f"rollback to {earlier.number}", "by": actor, "at": format_instant(now)}
    return TemplateVersion(earlier.template, number, earlier.spec, "published", earlier.author, (entry,),
                           earlier.reviewed_by)


def _flat(spec: Mapping[str, Any]) -> dict[str, str]:
    """Every field a version says, by a name staff can read: ``fr title``, ``fr lines 2``, ``en push body``…"""
    out = {"pictogram": str(spec.get("pictogram", ""))}
    for language, raw in sorted(dict(spec.get("variants", {})).items()):
        try:
            variant = normalize_variant(str(language), raw)
        except TemplateProblem:
            continue
        fields: list[tuple[str, Any]] = []
        for name, value in variant.items():
            if isinstance(value, dict):  # a channel: its own fields
                fields += [(f"{language} {name} {field_name}", text) for field_name, text in value.items()]
            else:
                fields.append((f"{language} {name}", value))
        for label, value in fields:
            if isinstance(value, list):
                out.update({f"{label} {i + 1}": str(line) for i, line in enumerate(value)})
            else:
                out[label] = str(value)
    return out


def spec_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """What ``after`` changes from ``before``, field by field: (field, before, after), "" where absent. What an
    approver reads before publishing."""
    old, new = _flat(before), _flat(after)
    return [(name, old.get(name, ""), new.get(name, "")) for name in sorted(old.keys() | new.keys())
            if old.get(name, "") != new.get(name, "")]
