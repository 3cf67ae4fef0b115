"""Template versions: draft → in review → published, with rollback. One table of moves; illegal moves raise.

Editing never touches the street: only publishing does, and only an approver other than the author may publish.
Published versions override the template files of the same id; the engine applies them (see ``Engine``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signage.templates import TemplateLibrary, TemplateProblem, TemplateSpec, normalize_variant
from signage.timeutil import format_instant

__all__ = ["MOVES", "IllegalMove", "TemplateVersion", "check_spec", "move"]

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

    @property
    def key(self) -> str:
        return f"{self.template}:{self.number:06d}"

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "number": self.number, "spec": dict(self.spec), "state": self.state,
                "author": self.author, "history": [dict(h) for h in self.history]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> TemplateVersion:
        return cls(str(doc["template"]), int(doc["number"]), dict(doc["spec"]), str(doc["state"]),
                   str(doc["author"]), tuple(doc.get("history", ())))

    def as_spec(self) -> TemplateSpec:
        return TemplateSpec(self.template, dict(self.spec["variants"]), "", str(self.spec.get("pictogram", "")))


def check_spec(template: str, spec: Any) -> dict[str, Any]:
    """A version's content, compiled in the sandbox to be sure it renders; raises ``TemplateProblem``."""
    if not isinstance(spec, dict) or not isinstance(spec.get("variants"), dict):
        raise TemplateProblem("give variants: {language: {title, lines, and channel variants}}")
    variants = {str(language): normalize_variant(str(language), variant)
                for language, variant in spec["variants"].items()}
    if "fr" not in variants:
        raise TemplateProblem("a French variant is required")
    pictogram = str(spec.get("pictogram", ""))[:100]
    TemplateLibrary({template: TemplateSpec(template, variants, "", pictogram)})
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
                           (*version.history, entry))
