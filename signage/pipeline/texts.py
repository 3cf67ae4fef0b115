"""Messages' texts, rendered from their templates once: cached by template version, parameters and language, so a
thousand panels showing one message cost one render. Pure."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from renderers.cache import RenderCache
from signage.model import Message
from signage.templates import RenderedText, TemplateLibrary, TemplateProblem

__all__ = ["Texts"]

CACHE_SIZE = 4096


class Texts:
    def __init__(self, templates: TemplateLibrary) -> None:
        self._templates = templates
        self._cache: RenderCache[RenderedText] = RenderCache(CACHE_SIZE)

    def of(self, message: Message, language: str, on_problem: Callable[[str], None] = lambda _: None
           ) -> RenderedText | None:
        """The message's text in ``language``, or None after telling ``on_problem`` why it cannot be rendered."""
        key = (message.template, self._templates.version(message.template), _params_key(message.params), language)
        text = self._cache.get(key)
        if text is None:
            try:
                text = self._templates.render(message.template, message.params, language)
            except TemplateProblem as exc:
                on_problem(str(exc))
                return None
            self._cache.put(key, text)
        return text


def _params_key(params: Mapping[str, Any]) -> Hashable:
    """What decides a render, hashable: each value with its type (``1``, ``1.0`` and ``True`` render apart);
    JSON text when a value is a list or a mapping."""
    key = tuple([(name, value.__class__, value) for name, value in sorted(params.items())])
    try:
        hash(key)
    except TypeError:
        return json.dumps(params, sort_keys=True, default=str)
    return key
