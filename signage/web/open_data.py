"""Open data: every public live value, what each panel shows, active messages and alerts, feed health.

Read-only, open to every origin (CORS), cacheable (ETag, ``max-age``), as JSON, and as CSV where people want a
spreadsheet. A token bucket per client address answers ``429`` with ``Retry-After`` beyond the allowance.
Nothing personal is ever here: push subscriptions live elsewhere and no endpoint reads them.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from signage.protocol import FEEDS_TOPIC, INDEX_TOPIC
from signage.safe_text import spreadsheet_cell
from signage.timeutil import format_instant, parse_instant
from signage.web.errors import json_error
from signage.web.keys import BUS, CONFIG, HUB
from signage.web.open_alerts import active_alerts, limited, open_response
from signage.web.panels import current_content, panel_facts

__all__ = ["DATASETS", "routes"]

routes = web.RouteTableDef()
DATASETS = {
    "parking": "Car parks: free places, capacity, status",
    "air": "Air quality: the indice ATMO per zone, with label and colour",
    "traffic": "Traffic flow observations",
    "transit": "Tram and bus lines: disruptions",
    "departures": "Next departures at each stop (SIRI StopMonitoring, GTFS-Realtime trip updates with times)",
    "waste": "Waste collection rounds per street",
}
MAX_HISTORY_HOURS = 48


def _json(request: web.Request, document: Any) -> web.Response:
    return open_response(request, json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
                    "application/json")


def _csv(request: web.Request, rows: list[dict[str, Any]], first: tuple[str, ...] = ("id",)) -> web.Response:
    columns = list(first) + sorted({k for row in rows for k in row} - set(first))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writerow({k: spreadsheet_cell(k) for k in columns})  # names come from feeds too
    for row in rows:  # a cell a spreadsheet would run as a formula is written as text
        writer.writerow({k: spreadsheet_cell(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
                         for k, v in row.items()})
    return open_response(request, out.getvalue().encode(), "text/csv")


def _fmt(request: web.Request, suffix: str) -> str:
    fmt = "csv" if suffix == ".csv" else request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise json_error(web.HTTPBadRequest, "bad_format", "format must be json or csv")
    return fmt


def _item(topic: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    item = {"id": topic.split("/", 1)[1], **{k: v for k, v in data.items() if k != "messages"}}
    if "observed_at" in item:  # the age now, not when it was published
        item["age_s"] = round(max(0.0, (now - parse_instant(item["observed_at"])).total_seconds()), 3)
    return item


async def _dataset(request: web.Request, name: str) -> list[dict[str, Any]]:
    hub = request.app[HUB]
    index = await hub.latest(INDEX_TOPIC)
    topics = [t for t in (index.data["topics"] if index else []) if t.startswith(name + "/")]
    now = datetime.now(UTC)
    items = []
    for topic in topics:
        update = await hub.latest(topic)
        if update is not None and isinstance(update.data, dict):
            items.append(_item(topic, update.data, now))
    return items


@routes.get("/api/v1/open")
async def open_index(request: web.Request) -> web.Response:
    limited(request)
    base = "/api/v1/open"
    return _json(request, {
        "city": request.app[CONFIG].current.city,
        "datasets": [{"name": n, "description": d, "json": f"{base}/{n}", "csv": f"{base}/{n}.csv",
                      "history": f"{base}/{n}/{{id}}/history?hours=24"} for n, d in DATASETS.items()]
        + [{"name": "panels", "description": "What every panel shows now", "json": f"{base}/panels",
            "csv": f"{base}/panels.csv"},
           {"name": "messages", "description": "Messages shown on panels now, and active alerts",
            "json": f"{base}/messages"},
           {"name": "alerts", "description": "Active alerts (CAP 1.2 in Atom)", "json": f"{base}/alerts",
            "atom": f"{base}/alerts.atom"},
           {"name": "feeds", "description": "Health of every data feed", "json": f"{base}/feeds"}],
        "zones": [{"id": z.id, "name": z.name, "parent": z.parent}
                  for z in request.app[CONFIG].current.zones.values()],
        # Topics a phone can be notified on: what the rules push to, and every zone's alerts.
        "push_topics": sorted({t for rule in request.app[CONFIG].current.rules if "push" in rule.channels
                               for t in rule.targets.topics}
                              | {f"alerts/{z}" for z in request.app[CONFIG].current.zones}),
        "licence": "Licence Ouverte / Open Licence 2.0",
    })


async def open_dataset(request: web.Request) -> web.Response:
    limited(request)
    name = request.path.removeprefix("/api/v1/open/").removesuffix(".csv")
    fmt = _fmt(request, ".csv" if request.path.endswith(".csv") else "")
    items = await _dataset(request, name)
    if fmt == "csv":
        return _csv(request, items)
    return _json(request, {"dataset": name, "generated_at": format_instant(datetime.now(UTC)), "items": items})


async def open_history(request: web.Request) -> web.Response:
    """What the engine still holds of one value's history, within the last ``hours`` (at most 48)."""
    limited(request)
    name, item_id = request.path.split("/")[4], request.match_info["item_id"]
    try:
        hours = float(request.query.get("hours", "24"))
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_HISTORY_HOURS:
        raise json_error(web.HTTPBadRequest, "bad_hours", f"hours must be a number from 0 to {MAX_HISTORY_HOURS}")
    fmt = _fmt(request, "")
    topic = f"{name}/{item_id}"
    now = datetime.now(UTC)
    since = now - timedelta(hours=hours)
    points = []
    for update in await request.app[BUS].history(topic):
        data = update.data if isinstance(update.data, dict) else {}
        observed = data.get("observed_at")
        if observed and parse_instant(observed) >= since:
            points.append({"observed_at": observed,
                           **{k: v for k, v in data.items() if k not in ("messages", "age_s", "observed_at")}})
    if not points and await request.app[HUB].latest(topic) is None:
        raise json_error(web.HTTPNotFound, "unknown_item", f"no {name} value {item_id[:100]!r}")
    if fmt == "csv":
        return _csv(request, points, ("observed_at",))
    return _json(request, {"topic": topic, "hours": hours, "points": points})


async def _panels(request: web.Request) -> list[dict[str, Any]]:
    config = request.app[CONFIG].current
    panels = []
    for panel in config.panels.values():
        content = await current_content(request, panel.id)
        panels.append({
            **panel_facts(config, panel), "lane": content["lane"], "updated_at": content.get("updated_at"),
            "pages": [{"message": p["message"], "title": p["title"], "lines": p["lines"],
                       "severity": p["severity"]} for p in content["pages"]],
        })
    return panels


async def open_panels(request: web.Request) -> web.Response:
    limited(request)
    fmt = _fmt(request, ".csv" if request.path.endswith(".csv") else "")
    panels = await _panels(request)
    if fmt == "csv":
        return _csv(request, [{**{k: v for k, v in p.items() if k != "pages"},
                               "shows": " | ".join(" / ".join([pg["title"], *pg["lines"]]) for pg in p["pages"])}
                              for p in panels])
    return _json(request, {"panels": panels})


@routes.get("/api/v1/open/messages")
async def open_messages(request: web.Request) -> web.Response:
    limited(request)
    shown: dict[str, dict[str, Any]] = {}
    for panel in await _panels(request):
        for page in panel["pages"]:
            entry = shown.setdefault(page["message"], {**page, "id": page.pop("message"), "panels": []})
            entry["panels"].append(panel["id"])
    messages = [m for m in shown.values() if not m["id"].startswith("default:")]
    return _json(request, {"messages": messages,
                           "alerts": [a.to_json() for a in await active_alerts(request)]})


@routes.get("/api/v1/open/alerts")
async def open_alerts_json(request: web.Request) -> web.Response:
    limited(request)
    return _json(request, {"alerts": [a.to_json() for a in await active_alerts(request)]})


@routes.get("/api/v1/open/feeds")
async def open_feeds(request: web.Request) -> web.Response:
    limited(request)
    update = await request.app[HUB].latest(FEEDS_TOPIC)
    return _json(request, {"feeds": update.data["feeds"] if update else []})


# Plain paths, one per dataset, so that every route is what the OpenAPI document says it is.
for _name in DATASETS:
    routes.get(f"/api/v1/open/{_name}")(open_dataset)
    routes.get(f"/api/v1/open/{_name}.csv")(open_dataset)
    routes.get(f"/api/v1/open/{_name}/{{item_id}}/history")(open_history)
routes.get("/api/v1/open/panels")(open_panels)
routes.get("/api/v1/open/panels.csv")(open_panels)
