"""Pages for people who open the server's address: open data explained (the JSON stays at ``/api/v1/open`` for
machines) and a page about this city's engine, in the city's first language; ``/favicon.ico`` for browsers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from signage.web.console import page_environment
from signage.web.keys import CONFIG
from signage.web.open_data import DATASETS

__all__ = ["routes"]

routes = web.RouteTableDef()

# The words of these two pages; a language not here reads them in English.
WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "open": "Données ouvertes", "about": "À propos", "app": "Application en direct",
        "intro": "Les données en temps réel de {city}, libres de réutilisation. Aucune donnée personnelle n'est "
                 "publiée : seulement des mesures, l'état des panneaux et les alertes publiques.",
        "dataset": "Jeu de données", "what": "Contenu", "formats": "Formats", "history": "historique (48 h)",
        "alerts": "Alertes en cours", "alerts_what": "Les alertes publiques en vigueur (CAP 1.2 dans un flux Atom)",
        "panels": "Panneaux", "panels_what": "Ce que chaque panneau affiche maintenant",
        "feeds": "Sources", "feeds_what": "L'état de chaque source de données",
        "api": "Pour les développeurs : la description de l'API (OpenAPI)", "licence": "Licence",
        "kiosks": "Bornes d'information", "signs": "Panneaux lumineux : contenu en direct",
        "about_intro": "Ce serveur diffuse en temps réel les informations de {city} sur ses panneaux, ses bornes "
                       "et les téléphones des habitants qui le souhaitent.",
        "staff": "Accès du personnel", "ops": "Exploitation",
        "names": {"parking": "Parkings", "air": "Qualité de l'air", "traffic": "Trafic", "transit": "Trams et bus",
                  "departures": "Prochains départs", "waste": "Collecte des déchets"},
        "descriptions": {
            "parking": "Places libres, capacité et état de chaque parking",
            "air": "L'indice ATMO de chaque zone, avec son libellé et sa couleur",
            "traffic": "Mesures de trafic", "transit": "Perturbations de chaque ligne de tram et de bus",
            "departures": "Prochains départs à chaque arrêt",
            "waste": "Tournées de collecte des déchets, rue par rue"},
    },
    "en": {
        "open": "Open data", "about": "About", "app": "Live app",
        "intro": "Live data from {city}, free to reuse. No personal data is published: only measurements, what "
                 "the panels show and public alerts.",
        "dataset": "Dataset", "what": "What it holds", "formats": "Formats", "history": "history (48 h)",
        "alerts": "Current alerts", "alerts_what": "Public alerts in force (CAP 1.2 in an Atom feed)",
        "panels": "Panels", "panels_what": "What every panel shows now",
        "feeds": "Sources", "feeds_what": "The health of every data source",
        "api": "For developers: the API description (OpenAPI)", "licence": "Licence",
        "kiosks": "Information kiosks", "signs": "LED signs: live content",
        "about_intro": "This server brings {city}'s live information to its street panels, its kiosks and the "
                       "phones of the residents who ask for it.",
        "staff": "Staff access", "ops": "Operations",
        "names": {"parking": "Car parks", "air": "Air quality", "traffic": "Traffic", "transit": "Trams and buses",
                  "departures": "Next departures", "waste": "Waste collection"},
        "descriptions": dict(DATASETS),
    },
}


def words(language: str) -> dict[str, Any]:
    return WORDS.get(language.split("-")[0], WORDS["en"])


def page_language(request: web.Request) -> str:
    """``?lang=`` when it is one of the city's languages (the app links here in the one its reader chose), else
    the city's first."""
    languages = request.app[CONFIG].current.languages
    asked = request.query.get("lang", "")
    return asked if asked in languages else languages[0]


def _page(request: web.Request, template: str, **context: Any) -> web.Response:
    config = request.app[CONFIG].current
    language = page_language(request)
    said = words(language)
    html = page_environment().get_template(template).render(
        city=config.city, language=language if language.split("-")[0] in WORDS else "en", w=said,
        intro=said["intro"].format(city=config.city), about_intro=said["about_intro"].format(city=config.city),
        **context)
    return web.Response(text=html, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


@routes.get("/open")
async def open_page(request: web.Request) -> web.Response:
    """Open data for people: every dataset named and described, with its JSON, CSV and history links."""
    said = words(page_language(request))
    datasets = [{"id": name, "name": said["names"].get(name, name), "what": said["descriptions"].get(name, text)}
                for name, text in DATASETS.items()]
    return _page(request, "public/open.html.j2", datasets=datasets)


@routes.get("/about")
async def about_page(request: web.Request) -> web.Response:
    """What this server is, its kiosks and signs, and where staff and operators go."""
    config = request.app[CONFIG].current
    return _page(request, "public/about.html.j2", panels=list(config.panels.values()))


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/static/icon.svg")
