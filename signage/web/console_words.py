"""The console's words: what the engine says in its own (English) vocabulary, said in French for staff, with
instants on the city's clock and ids replaced by the names staff know.

The engine's explanations and its API stay in one stable vocabulary that scripts can read; the console words
them here. A sentence this table does not know is shown as the engine wrote it, never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from signage.timeutil import parse_instant

__all__ = ["FAULTS", "FIELDS", "LANES", "ROLES", "audit_sentence", "city_clock", "in_words", "local_time"]

LANES = {"alert": "alerte", "operator": "diffusion", "rule": "règle", "schedule": "programmation",
         "default": "par défaut"}
# A real sign's faults (``shortErrorStatus``), as the control room says them.
FAULTS = {"communications": "communications", "power": "alimentation", "attached device": "équipement raccordé",
          "lamp": "lampes", "pixel": "pixels", "photocell": "photocellule", "message": "message",
          "controller": "contrôleur", "temperature warning": "température élevée",
          "climate control": "climatisation", "critical temperature": "température critique",
          "drum rotor": "rotor", "door open": "porte ouverte", "humidity warning": "humidité"}
ROLES = {"viewer": "lecteur", "editor": "rédaction", "approver": "relecture", "admin": "administration"}
_CHANNELS = {"panels": "panneaux", "kiosks": "bornes"}
# The fields live values carry, as staff read them; a field not here is shown by its own name.
FIELDS = {"free": "places libres", "capacity": "capacité", "status": "état", "index": "indice", "label": "libellé",
          "colour": "couleur", "line": "ligne", "disrupted": "perturbée", "header": "titre", "street": "rue",
          "next_collection": "prochaine collecte", "level_db": "niveau (dB)", "place": "lieu", "stale": "périmée",
          "departures": "départs", "delay_s": "retard (s)"}
_UNITS = {"characters": "caractères", "pixels": "pixels"}
_INSTANT = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"


def local_time(instant: str | None, timezone: str, with_date: bool = True, seconds: bool = False) -> str:
    """An ISO 8601 instant as staff read it on the city's clock: ``26/11/2026 09:41`` (or ``09:41``, and
    ``09:41:05`` with ``seconds``)."""
    if not instant:
        return "—"
    try:
        moment = parse_instant(instant).astimezone(ZoneInfo(timezone))
    except (ValueError, KeyError):
        return instant
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return moment.strftime(f"%d/%m/%Y {clock}" if with_date else clock)


# (pattern, French); applied in order to each part of a sentence the engine wrote.
_PHRASES: list[tuple[str, str | Callable[..., str]]] = [
    (r"^no active message targets this panel: default$", "aucun message actif ne vise ce panneau : message par "
                                                          "défaut"),
    (r"^(\d+) (\w+) messages of priority (\d+) share the face as pages$",
     lambda m, n: f"{m.group(1)} messages ({LANES.get(m.group(2), m.group(2))}, priorité {m.group(3)}) se "
                  "partagent l'affichage en pages"),
    (r"^not resolved yet$", "pas encore décidé"),
    (r"^not sent to (\w+)$", lambda m, n: f"pas destiné aux {_CHANNELS.get(m.group(1), m.group(1))}"),
    (r"^does not fit this sign: (.+)$", lambda m, n: "ne tient pas sur ce panneau : " + in_words(m.group(1), n)),
    (r"^the word '(.+)' is (\d+) (\w+) wide; a line of (\S+) holds (\d+)$",
     lambda m, n: f"le mot « {m.group(1)} » fait {m.group(2)} {_UNITS.get(m.group(3), m.group(3))} ; une ligne "
                  f"de ce panneau en tient {m.group(5)}"),
    (r"^the message needs (\d+) pages; (\S+) shows at most (\d+)$",
     lambda m, n: f"il faudrait {m.group(1)} pages ; ce panneau en affiche au plus {m.group(3)}"),
    (r"^no page left \(the sign shows at most (\d+)\)$",
     lambda m, n: f"plus de page libre (le panneau en affiche au plus {m.group(1)})"),
    (r"^pre-empted by the (\w+) lane$", lambda m, n: f"devancé par la voie {LANES.get(m.group(1), m.group(1))}"),
    (r"^lower priority \((\d+) < (\d+)\)$", lambda m, n: f"priorité plus basse ({m.group(1)} < {m.group(2)})"),
    (r"^not evaluated yet$", "pas encore évaluée"),
    (r"^input '(.+)' has no value yet$", lambda m, n: f"« {n.get(m.group(1), m.group(1))} » n'a pas encore de "
                                                       "valeur"),
    (r"^input '(.+)' is stale \((\d+) s old\)$",
     lambda m, n: f"« {n.get(m.group(1), m.group(1))} » est périmée (reçue il y a {m.group(2)} s)"),
    (r"^when is true$", "la condition est remplie"),
    (r"^when is false$", "la condition n'est pas remplie"),
    (r"^clear_when is false$", "la condition de fin n'est pas remplie"),
    (r"^clear_when is true$", "la condition de fin est remplie"),
    (r"^every value it shows is stale or missing$", "toutes les valeurs qu'elle affiche sont périmées ou absentes"),
    (r"^shown as unavailable: (.+)$", lambda m, n: f"affiché comme indisponible : {m.group(1)}"),
    (r"^cooling down until " + _INSTANT + "$", lambda m, n: f"en pause jusqu'à {n['@'](m.group(1))}"),
    (r"^(.+) since " + _INSTANT + "$", lambda m, n: f"{in_words(m.group(1), n)} depuis {n['@'](m.group(2))}"),
    (r"^fires at " + _INSTANT + " if it holds$", lambda m, n: f"se déclenche à {n['@'](m.group(1))} si elle tient"),
    (r"^(when|clear_when) could not be evaluated: (.+)$",
     lambda m, n: f"la condition n'a pas pu être évaluée ({m.group(2)})"),
    # What a real sign's driver reports (``channels.ntcip_signs``).
    (r"^the sign is in local control: .*$", "le panneau est en commande locale : le moteur n'y touche pas avant "
                                            "son retour en commande centrale"),
    (r"^(\S+) did not answer \((\d+) attempts of (\S+) s\)$",
     lambda m, n: f"{m.group(1)} ne répond pas ({m.group(2)} essais de {m.group(3)} s)"),
    (r"^(?:\S+: )?the sign refused the message \((\w+)(?:: (\w+) at character (\d+))?\)$",
     lambda m, n: f"le panneau a refusé le message ({m.group(1)}"
                  + (f" : {m.group(2)} au caractère {m.group(3)})" if m.group(2) else ")")),
    (r"^not sent: (.+)$", lambda m, n: "non envoyé : " + in_words(m.group(1), n)),
    (r"^the message is (\d+) bytes; the sign takes at most (\d+)$",
     lambda m, n: f"le message fait {m.group(1)} octets ; le panneau en prend au plus {m.group(2)}"),
    (r"^the sign does not match the profile: (.+)$",
     lambda m, n: "le panneau ne correspond pas à son profil : " + in_words(m.group(1), n)),
    (r"^(\w+) message '(.+)' \(priority (\d+)\) wins$",
     lambda m, n: f"« {n.get(m.group(2), m.group(2))} » ({LANES.get(m.group(1), m.group(1))}, priorité "
                  f"{m.group(3)}) l'emporte"),
]
_COMPILED = [(re.compile(pattern), french) for pattern, french in _PHRASES]


def in_words(text: str, names: Mapping[str, Any], language: str = "fr") -> str:
    """``text`` as the engine wrote it, in French: each ``; ``-separated part through the table. ``names`` maps
    ids to what staff call them, and ``@`` to a function giving an instant on the city's clock. In English, the
    engine's own words are the console's."""
    if language != "fr":
        return text
    whole = _phrase(text, names)
    if whole is not None:
        return whole
    return " ; ".join(_phrase(part, names) or part for part in text.split("; "))


def _phrase(text: str, names: Mapping[str, Any]) -> str | None:
    for pattern, french in _COMPILED:
        match = pattern.match(text)
        if match:
            return french if isinstance(french, str) else french(match, names)
    return None


def audit_sentence(entry: Mapping[str, Any], names: Mapping[str, str],
                   _: Callable[..., str] = lambda text, **values: text.format(**values)) -> str:
    """An audit entry as a sentence: what the person did, to what, with the names staff know; ``_`` says it in
    the console's language."""
    action, target = str(entry.get("action", "")), str(entry.get("target", ""))
    detail: Mapping[str, Any] = entry.get("detail") or {}
    params = detail.get("params") or {}
    targets = detail.get("targets") or {}
    where = ", ".join(names.get(t, t) for kind in ("zones", "tags", "panels", "topics") for t in targets.get(kind, ()))
    template, _sep, number = target.partition(":")
    version = _("la version {n} du modèle « {name} »", n=int(number), name=names.get(template, template)) \
        if number.isdigit() else target
    zones = ", ".join(names.get(z, z) for z in detail.get("zones", ()))
    headline = (detail.get("headline") or {}).get("fr", target)
    said = {
        "broadcast.start": _("a diffusé « {title} »", title=params.get("title", ""))
        + (_(" sur {where}", where=where) if where else ""),
        "broadcast.stop": _("a arrêté une diffusion"),
        "emergency.issue": _("a émis l'alerte « {headline} »", headline=headline)
        + (_(" pour {zones}", zones=zones) if zones else ""),
        "emergency.cancel": _("a levé une alerte d'urgence"),
        "template.draft": _("a enregistré un brouillon : {version}", version=version),
        "template.submit": _("a soumis {version} à relecture", version=version),
        "template.approve": _("a approuvé et publié {version}", version=version),
        "template.reject": _("a refusé {version}", version=version),
        "template.rollback": _("a republié {version}", version=version),
        "staff.login": _("s'est connecté(e)"),
        "staff.logout": _("s'est déconnecté(e)"),
        "staff.login.failed": _("connexion refusée (adresse {address})", address=detail.get("address", "?")),
        "staff.account.set": _("a défini le compte « {account} » (rôle {role})", account=target,
                               role=_(ROLES.get(detail.get("role", ""), "?"))),
        "staff.token.issue": _("a créé un jeton d'API pour « {account} »", account=target),
    }
    return said.get(action, f"{action} {target}")


def city_clock(timezone: str) -> Callable[[str], str]:
    """A function giving an instant as ``HH:MM`` on the city's clock (``dd/mm HH:MM`` when not today)."""
    zone = ZoneInfo(timezone)

    def at(instant: str) -> str:
        moment = parse_instant(instant).astimezone(zone)
        today = datetime.now(zone).date()
        return moment.strftime("%H:%M" if moment.date() == today else "%d/%m %H:%M")

    return at
