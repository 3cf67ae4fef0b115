"""Where a panel's content is decided: which messages target each panel, which of them win its face
(``signage.board``), and the content rendered from them (``renderers.panel_content``). Work follows change: a
message that changes marks only the panels it targets, and a panel is resolved again only if what it shows may
change; otherwise only the explanation of its competition is outdated. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from renderers.cache import RenderCache
from renderers.panel_content import LedResult, render_panel_content
from signage.board import Decision, resolve, targets_panel
from signage.config import Config
from signage.model import Lane, Message, ProfileKind, Targets
from signage.templates import RenderedText

__all__ = ["PanelBoard", "PanelChange", "default_content", "default_message"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TextOf = Callable[[Message, str, Callable[[str], None]], RenderedText | None]


def default_message(config: Config, panel_id: str) -> Message:
    """The message a panel falls back to, so that it is never blank."""
    panel = config.panels[panel_id]
    return Message(f"default:{panel_id}", Lane.DEFAULT, 0, panel.default_template,
                   {"panel": panel.name, "place": panel.place, "city": config.city},
                   Targets(panels=(panel_id,)), ("panels", "kiosks"), _EPOCH, None, "panel default")


def default_content(config: Config, panel_id: str, reason: str) -> dict[str, Any]:
    """A panel's content from its default alone: what any process shows before the engine has said anything."""
    panel = config.panels[panel_id]
    decision = Decision(panel_id, (default_message(config, panel_id),), Lane.DEFAULT, reason, ())
    return render_panel_content(panel, config.profiles[panel.profile], decision,
                                lambda message, language: config.templates.render(message.template, message.params,
                                                                                  language))


@dataclass(frozen=True, slots=True)
class PanelChange:
    """A panel resolved and rendered again: its content (None when it is what the panel already shows), the
    problems met rendering it, and the format its channel natively takes."""

    panel_id: str
    content: dict[str, Any] | None
    problems: list[str]
    native: str


class PanelBoard:
    def __init__(self, config: Config) -> None:
        self._config = config
        self.zone_chains = {p.id: config.zone_ancestors(p.zone) for p in config.panels.values()}
        self._targeted: dict[Targets, tuple[str, ...]] = {}
        self._messages: dict[str, set[str]] = {p: set() for p in config.panels}  # panel -> messages aimed at it
        self._dirty: set[str] = set()  # panels to resolve and render again
        self._competition_changed: set[str] = set()  # panels whose losers changed: only the "why" is outdated
        self._unfit: dict[str, dict[str, dict[str, Any]]] = {}  # panel -> messages its face cannot hold (Refusal)
        self.decisions: dict[str, Decision] = {}
        self.contents: dict[str, dict[str, Any]] = {}
        self.defaults = {panel_id: default_message(config, panel_id) for panel_id in config.panels}
        self.led_cache: RenderCache[LedResult] = RenderCache()  # MULTI by profile and text, shared by panels

    def panels_for(self, targets: Targets) -> tuple[str, ...]:
        panels = self._targeted.get(targets)
        if panels is None:
            panels = tuple(p.id for p in self._config.panels.values()
                           if targets_panel(targets, p, self.zone_chains[p.id]))
            self._targeted[targets] = panels
        return panels

    def everything_changed(self) -> None:
        self._dirty.update(self._config.panels)

    def _touch(self, panel_id: str, message_id: str, contender: Message | None) -> None:
        """A message targeting the panel changed. Resolve the panel again only if what it shows may change:
        the message is shown there now, or ``contender`` (its new version) ranks at least as high as the
        winner. Otherwise it still loses, and only the explanation of the competition is outdated."""
        decision = self.decisions.get(panel_id)
        if decision is None or any(m.id == message_id for m in decision.shown):
            self._dirty.add(panel_id)
            return
        winner = decision.shown[0]
        if contender is not None and (contender.lane, contender.priority) >= (winner.lane, winner.priority):
            self._dirty.add(panel_id)
        else:
            self._competition_changed.add(panel_id)

    def shown(self, previous: Message | None, message: Message) -> None:
        """``message`` is now active (``previous`` is its earlier version, if any)."""
        moved = previous is None or previous.targets != message.targets
        if previous is not None and moved:
            self.withdrawn(previous)
        for panel in self.panels_for(message.targets):
            if moved:
                self._messages[panel].add(message.id)
            self._touch(panel, message.id, message)

    def withdrawn(self, message: Message) -> None:
        for panel in self.panels_for(message.targets):
            self._messages[panel].discard(message.id)
            self._touch(panel, message.id, None)

    def _decide(self, panel_id: str, messages: Mapping[str, Message]) -> Decision:
        panel = self._config.panels[panel_id]
        profile = self._config.profiles[panel.profile]
        channel = "kiosks" if profile.kind is ProfileKind.KIOSK else "panels"
        candidates = [messages[m] for m in sorted(self._messages[panel_id])]
        unfit = {message_id: refusal["reason"] for message_id, refusal in self._unfit.get(panel_id, {}).items()}
        return resolve(panel, self.zone_chains[panel_id], channel, candidates, self.defaults[panel_id],
                       profile.max_pages, targeted=True, unfit=unfit)

    def unfit(self, panel_id: str) -> list[dict[str, Any]]:
        """The messages aimed at the panel that its face cannot hold, as ``Refusal.to_json`` gives them."""
        return [dict(refusal) for _, refusal in sorted(self._unfit.get(panel_id, {}).items())]

    def _render(self, panel_id: str, messages: Mapping[str, Message], text_of: TextOf, problems: list[str]
                ) -> dict[str, Any]:
        """Decide and render the panel. When its sign cannot hold any message of the winning lane (a word too
        wide, too many lines), those messages stand aside and the panel is decided again: no message, whoever
        sent it, can blank a sign; what came next keeps the face, and the refusal is said."""
        panel = self._config.panels[panel_id]
        profile = self._config.profiles[panel.profile]
        self._unfit.pop(panel_id, None)
        while True:
            decision = self.decisions[panel_id] = self._decide(panel_id, messages)
            content = render_panel_content(panel, profile, decision,
                                           partial(self._text_or_default, panel_id, text_of, problems),
                                           self.led_cache)
            refused = {refusal["message"]: refusal for refusal in content.get("refused", ())}
            if len(refused) < len(decision.shown) or decision.lane is Lane.DEFAULT:
                return content
            self._unfit.setdefault(panel_id, {}).update(refused)
            problems.extend(f"{message_id}: not shown on {panel_id} ({profile.name}): {refusal['reason']}; it "
                            "keeps what came next" for message_id, refusal in refused.items())

    def decision(self, panel_id: str, messages: Mapping[str, Message]) -> Decision | None:
        """The panel's decision with its competition up to date, without changing anything (for "why")."""
        if panel_id in self._competition_changed:  # the winner is the same; the losers' reasons are not
            return self._decide(panel_id, messages)
        return self.decisions.get(panel_id)

    def _text_or_default(self, panel_id: str, text_of: TextOf, problems: list[str], message: Message,
                         language: str) -> RenderedText:
        text = text_of(message, language, problems.append)
        if text is None:  # a broken template must not blank a street panel: its default stands in
            text = self._config.templates.render("default", self.defaults[panel_id].params, language)
        return text

    @property
    def marked(self) -> bool:
        """Whether some panel waits to be resolved again."""
        return bool(self._dirty)

    def refresh(self, now_text: str, messages: Mapping[str, Message], text_of: TextOf) -> Iterator[PanelChange]:
        """Resolve and render every panel marked since the last refresh, in panel order; ``now_text`` stamps the
        content that changed."""
        dirty, self._dirty = self._dirty, set()
        for panel_id in sorted(dirty):
            profile = self._config.profiles[self._config.panels[panel_id].profile]
            problems: list[str] = []
            content = self._render(panel_id, messages, text_of, problems)
            self._competition_changed.discard(panel_id)
            native = "json" if profile.kind is ProfileKind.KIOSK else "multi"
            previous = self.contents.get(panel_id)
            if previous is not None and previous["etag"] == content["etag"]:
                yield PanelChange(panel_id, None, problems, native)
                continue
            content["updated_at"] = now_text
            self.contents[panel_id] = content
            yield PanelChange(panel_id, content, problems, native)
