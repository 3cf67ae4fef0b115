"""The few words the server writes itself (a feed's title, the web app's name), in the city's first language
when it has them, else in English. Everything else a citizen reads comes from the city's templates."""

from __future__ import annotations

__all__ = ["interface_word"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {"current_alerts": "current alerts", "live": "live", "city": "City"},
    "fr": {"current_alerts": "alertes en cours", "live": "en direct", "city": "Ville"},
    "nl": {"current_alerts": "lopende waarschuwingen", "live": "live", "city": "Stad"},
    "de": {"current_alerts": "aktuelle Warnungen", "live": "live", "city": "Stadt"},
}


def interface_word(language: str, key: str) -> str:
    """``key`` in ``language`` (``pt-BR`` falls back to ``pt``), else in English."""
    for candidate in (language, language.split("-")[0].lower(), "en"):
        if key in _WORDS.get(candidate, {}):
            return _WORDS[candidate][key]
    return key
