"""Text as signs write it, shared by templates and renderers. Pure.

French abbreviations, as French road and transit signs write them (used only when a line does not fit, or by the
``abbr`` filter): keys are upper-case without accents; matching ignores case and accents, and the abbreviation
takes the case of the word it replaces. And MULTI's one escape: a literal bracket is written twice.
"""

from __future__ import annotations

import unicodedata

__all__ = ["FRENCH", "abbreviate_word", "escape_multi", "fold"]

FRENCH: dict[str, str] = {
    "ACCIDENT": "ACC", "ATTENTION": "ATT", "AVENUE": "AV", "BOULEVARD": "BD", "CENTRE": "CTRE",
    "CENTRE-VILLE": "CTRE-VILLE", "CIRCULATION": "CIRC", "COLLECTE": "COLL", "COMPLET": "CPLT",
    "DIRECTION": "DIR", "DISPONIBLES": "DISPO", "DISPONIBLE": "DISPO", "FERMEE": "FERM", "FERME": "FERM",
    "INDISPONIBLE": "INDISPO", "INFORMATION": "INFO", "INFORMATIONS": "INFOS", "INTERDIT": "INT",
    "JUSQU'A": "JSQ", "KILOMETRES": "KM", "METROPOLE": "METRO", "MINUTES": "MIN", "PARKING": "PKG",
    "PARKINGS": "PKGS", "PERTURBATION": "PERTURB", "PERTURBATIONS": "PERTURB", "PERTURBE": "PERTURB",
    "PLACES": "PL", "PLACE": "PL", "PREVISION": "PREV", "PROCHAIN": "PROCH", "PROCHAINE": "PROCH",
    "RALENTISSEMENT": "RALENT", "SAINT": "ST", "SAINTE": "STE", "SECTEUR": "SECT", "SERVICE": "SERV",
    "STATIONNEMENT": "STAT", "TRAVAUX": "TRVX", "VIGILANCE": "VIGIL", "VITESSE": "VIT",
}


def fold(word: str) -> str:
    """Upper case without accents: how abbreviation keys are written."""
    decomposed = unicodedata.normalize("NFKD", word.upper().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def abbreviate_word(word: str, table: dict[str, str] = FRENCH) -> str | None:
    """``word`` abbreviated (keeping trailing punctuation and the word's case), or None when the table has none."""
    core = word.rstrip(".,:;!?")
    tail = word[len(core):]
    short = table.get(fold(core))
    if short is None:
        return None
    if core.isupper():
        return short + tail
    if core[:1].isupper():
        return short.capitalize() + tail
    return short.lower() + tail


def escape_multi(text: str) -> str:
    """Literal brackets are doubled in MULTI (NTCIP 1203), so that a value can never become a tag."""
    return text.replace("[", "[[").replace("]", "]]")
