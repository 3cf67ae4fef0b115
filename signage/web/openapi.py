"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/v1/openapi.json``.

It is kept true by tests: every route the application registers must be here with its methods, and a
schemathesis run calls the documented operations and checks statuses, content types and JSON bodies against it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from signage.web.open_data import DATASETS

__all__ = ["openapi_document", "routes"]

routes = web.RouteTableDef()

OBJECT: dict[str, Any] = {"type": "object"}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}
PANEL_ID = {"name": "panel_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
TEMPLATE_ID = {"name": "template_id", "in": "path", "required": True, "schema": {"type": "string"}}
FORMAT_JSON_CSV = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _media(media: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": {"type": "string"}}}}


def _json_or_csv(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK (CSV with format=csv)", "content": {"application/json": {"schema": schema},
                                                                  "text/csv": {"schema": {"type": "string"}}}}


def _error(description: str) -> dict[str, Any]:
    return _json(ERROR, description)


# Every intake's answer while the engine is too far behind.
_ENGINE_BEHIND = _error("The engine is behind (engine_behind): nothing kept, send again after Retry-After")


def _get(summary: str, responses: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
         tags: tuple[str, ...] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": responses, "tags": list(tags)}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


OPEN = {"304": {"description": "Not modified"}, "429": _error("Too many requests; see Retry-After")}
ITEMS = {"type": "object", "required": ["items"], "properties": {"dataset": {"type": "string"},
         "generated_at": {"type": "string"}, "items": {"type": "array", "items": OBJECT}}}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("The citizens' phone app", {"200": _media("text/html")}, tags=("app",)),
        "/about": _get("A page about the server for people: kiosks, signs, staff and operations links",
                       {"200": _media("text/html")}),
        "/open": _get("Open data for people: every dataset named and described, with its links",
                      {"200": _media("text/html")}),
        "/pictograms/{name}.svg": {"get": {
            "summary": "A pictogram the signs draw (parking, warning, waste, air-1 … air-6), as SVG",
            "tags": ["panels"],
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _media("image/svg+xml"), "404": _error("No such pictogram")}}},
        "/static/leaflet/{name}": {"get": {
            "summary": "Leaflet (the console's map library), served from the engine's own installation",
            "tags": ["console"],
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _media("text/javascript"), "404": _error("No such file")}}},
        "/favicon.ico": _get("The site's icon", {"301": {"description": "To /static/icon.svg"}}),
        "/sw.js": _get("The app's service worker", {"200": _media("text/javascript")}, tags=("app",)),
        "/manifest.webmanifest": _get("The app's manifest (installable)", {"200": {"description": "OK", "content": {
            "application/manifest+json": {"schema": OBJECT}}}}, tags=("app",)),
        "/healthz": _get("Alive", {"200": _json(OBJECT)}, tags=("ops",)),
        "/readyz": _get("Ready: bus, store, engine", {"200": _json(OBJECT), "503": _json(OBJECT, "Not ready")},
                        tags=("ops",)),
        "/metrics": _get("Prometheus metrics", {"200": _media("text/plain")}, tags=("ops",)),
        "/ws": _get("WebSocket: topics with offsets and epochs (upgrade required)",
                    {"101": {"description": "Switching protocols"}, "400": _error("Not a WebSocket request")},
                    tags=("live",)),
        "/api/v1/events": _get("Server-Sent Events: the /ws stream, with Last-Event-ID replay", {
            "200": _media("text/event-stream"), "400": _error("Bad topics"), "429": _error("Too many connections"),
        }, [{"name": "topics", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "last_event_id", "in": "query", "schema": {"type": "string"}}], tags=("live",)),
        "/static/{name}": _get("The pages' scripts, styles and icons", {"200": {"description": "OK", "content": {
            m: {"schema": {"type": "string"}} for m in ("text/css", "text/javascript", "image/svg+xml", "image/png")}},
                                                                     "404": _error("No such file")},
                               [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]),
        "/kiosk/{panel_id}": _get("The live kiosk page of a panel", {"200": _media("text/html"),
                                                                     "404": _error("Unknown panel")}, [PANEL_ID]),
        "/api/v1/panels": _get("Every panel, with where its content is and its status", {
            "200": _json({"type": "object", "required": ["panels"],
                          "properties": {"panels": {"type": "array", "items": OBJECT}}})}, tags=("panels",)),
        "/api/v1/panels/{panel_id}/content": _get("What the panel shows now (ETag, 304, long poll)", {
            "200": {"description": "OK", "content": {"application/json": {"schema": OBJECT},
                                                     "text/plain": {"schema": {"type": "string"}},
                                                     "text/html": {"schema": {"type": "string"}},
                                                     "image/png": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified"}, "400": _error("Bad format or wait"),
            "401": _error("Wrong panel token"), "404": _error("Unknown panel"),
            "406": _error("No MULTI for a kiosk"),
            "429": _error("A long poll beyond this address's open connections"),
        }, [PANEL_ID, {"name": "format", "in": "query",
                       "schema": {"type": "string", "enum": ["json", "multi", "html", "png"]}},
            {"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 60}}],
            tags=("panels",)),
        "/api/v1/panels/{panel_id}/preview.png": _get("A picture of what the panel shows now", {
            "200": _media("image/png"), "304": {"description": "Not modified"}, "404": _error("Unknown panel"),
        }, [PANEL_ID], tags=("panels",)),
        "/api/v1/panels/{panel_id}/explain": _get("Why the panel shows what it shows", {
            "200": _json(OBJECT), "404": _error("Unknown panel"), "503": _error("Engine not ready"),
        }, [PANEL_ID], tags=("panels",)),
        "/api/v1/panels/{panel_id}/stream": _get("A WebSocket for one panel (its token required)", {
            "101": {"description": "Switching protocols"}, "400": _error("Bad request"),
            "401": _error("Token required"), "404": _error("Unknown panel"),
        }, [PANEL_ID, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "multi"]}},
            {"name": "token", "in": "query", "schema": {"type": "string"}}], tags=("panels",)),
        "/api/v1/panels/{panel_id}/receipts": {"post": {
            "summary": "Proof of display: what the panel displays (its token required)", "tags": ["panels"],
            "parameters": [PANEL_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["etag"], "properties": {"etag": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["state", "drift", "expected"]}),
                          "400": _error("Bad receipt"), "401": _error("Token required"),
                          "404": _error("Unknown panel"), "413": _error("Too large")}}},
        "/feeds/{feed_id}": {"post": {
            "summary": "A feed delivery from its producer (NGSI, CAP, GTFS-RT, SIRI, DATEX II, webhook…)",
            "tags": ["feeds"], "security": [{"feedToken": []}, {"webhookSignature": []}],
            "parameters": [{"name": "feed_id", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "X-Delivery-Id", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string"}}}},
            "responses": {"202": _json(OBJECT, "Accepted"), "400": _error("Bad payload (kept as a dead letter)"),
                          "401": _error("No token, a wrong one, or a bad webhook signature"),
                          "403": _error("From a network or a CAP sender the feed does not accept"),
                          "404": _error("Unknown feed"), "409": _error("Already received (a replay)"),
                          "413": _error("Too large"),
                          "503": _ENGINE_BEHIND}}},
        "/api/v1/feeds": _get("Feed health", {"200": _json(OBJECT), "503": _error("Engine not ready")},
                              tags=("feeds",)),
        "/api/v1/push/vapid-public-key": _get("The VAPID public key to subscribe with", {
            "200": _json({"type": "object", "required": ["public_key"]}), "503": _error("Push not configured"),
        }, tags=("push",)),
        "/api/v1/push/subscriptions": {
            "post": {"summary": "Subscribe a phone to topics", "tags": ["push"],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["endpoint", "keys", "topics"], "properties": {
                             "endpoint": {"type": "string"}, "keys": OBJECT,
                             "topics": {"type": "array", "items": {"type": "string"}},
                             "language": {"type": "string"}, "quiet_hours": {"type": ["string", "null"]}}}}}},
                     "responses": {"201": _json({"type": "object", "required": ["id", "topics"]}),
                                   "400": _error("Bad subscription"), "413": _error("Too large"),
                                   "429": _error("Too many subscriptions from this address; see Retry-After"),
                                   "503": _error("Push not configured, or the server holds all it may")}},
            "delete": {"summary": "Unsubscribe", "tags": ["push"],
                       "requestBody": {"required": True, "content": {"application/json": {"schema": {
                           "type": "object", "required": ["endpoint"]}}}},
                       "responses": {"204": {"description": "Unsubscribed"}, "400": _error("No endpoint"),
                                     "404": _error("Unknown subscription"), "413": _error("Too large")}}},
        "/api/v1/openapi.json": _get("This document", {"200": _json(OBJECT)}),
        "/admin": _get("The control room (signed-in staff)", {"200": _media("text/html"),
                                                               "303": {"description": "Sign in first"}},
                       tags=("console",)),
        "/admin/login": {
            "get": {"summary": "The sign-in page", "tags": ["console"], "responses": {"200": _media("text/html")}},
            "post": {"summary": "Sign in", "tags": ["console"],
                     "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                         "schema": {"type": "object", "properties": {"username": {"type": "string"},
                                                                     "password": {"type": "string"},
                                                                     "csrf": {"type": "string"}}}}}},
                     "responses": {"303": {"description": "Signed in"}, "401": _media("text/html", "Wrong"),
                                   "403": {"description": "Cross-origin (JSON), or a form without its CSRF token "
                                                          "(the form again, HTML)",
                                           "content": {**_error("")["content"],
                                                       **_media("text/html")["content"]}},
                                   "413": _error("Too large"),
                                   "429": _media("text/html", "Too many attempts")}}},
        "/admin/templates/{template_id}": _get("Edit a template with live preview (editor)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "403": _error("Editors only"),
            "404": _error("Unknown template")}, [TEMPLATE_ID], tags=("console",)),
        "/admin/broadcast": _get("Broadcast a message to targets chosen on a list or a map (editor)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "403": _error("Editors only")},
            tags=("console",)),
        "/admin/templates": _get("The templates, their published and in-review versions (editor)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "403": _error("Editors only")},
            tags=("console",)),
        "/admin/emergency": _get("The emergency alert form (approver)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "403": _error("Approvers only")},
            tags=("console",)),
        "/admin/panels/{panel_id}": _get("Why a panel shows what it shows (signed-in staff)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "404": _error("Unknown panel")},
            [PANEL_ID], tags=("console",)),
        "/admin/audit": _get("The audit log, searchable (approver)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "403": _error("Approvers only")},
            [{"name": "q", "in": "query", "schema": {"type": "string"}}], tags=("console",)),
        "/admin/accounts": _get("Staff accounts and roles (admin)", {
            "200": _media("text/html"), "303": {"description": "Sign in first"}, "403": _error("Admins only")},
            tags=("console",)),
        "/admin/language/{code}": _get("Choose the console's language (one of the city's it speaks); back to the page",
                                        {"303": {"description": "Chosen, kept in a cookie"},
                                         "404": _error("A language the console does not speak here")},
                                        [{"name": "code", "in": "path", "required": True,
                                          "schema": {"type": "string"}}], tags=("console",)),
        "/admin/logout": {"post": {"summary": "Sign out (CSRF token required)", "tags": ["console"],
                                   "responses": {"303": {"description": "Signed out"}, "403": _error("Bad CSRF"),
                                                 "413": _error("Too large"),
                          "503": _ENGINE_BEHIND}}},
        "/api/v1/admin/whoami": _get("Who the token or session is", {
            "200": _json({"type": "object", "required": ["username", "role"]}), "401": _error("Sign in")},
            tags=("console",)),
        "/api/v1/admin/preview": {"post": {
            "summary": "Preview a template on every sign and a phone, with fit warnings (editor)",
            "tags": ["console"], "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["template"], "properties": {
                    "template": OBJECT, "params": OBJECT, "language": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["signs", "push"]}),
                          "400": _error("Bad template, over the render budget, or stopped at the deadline"),
                          "401": _error("Sign in"), "403": _error("Editors only"), "413": _error("Too large"),
                          "429": _error("A preview of yours is still being made"),
                          "503": _error("Previews are busy")}}},
        "/api/v1/admin/broadcasts": {"get": {
            "summary": "Broadcasts not yet over, scheduled ones included (viewer)", "tags": ["console"],
            "responses": {"200": _json({"type": "object", "required": ["broadcasts"]}), "401": _error("Sign in"),
                          "403": _error("Viewers and up")}}, "post": {
            "summary": "Broadcast a message to zones, panel tags, panels or topics (editor)", "tags": ["console"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["title", "targets"], "properties": {
                    "title": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string"}},
                    "targets": OBJECT, "priority": {"type": "integer"}, "starts_at": {"type": "string"},
                    "ends_at": {"type": "string"}, "severity": {"type": "string"}}}}}},
            "responses": {"201": _json({"type": "object", "required": ["id"]}), "400": _error("Bad broadcast"),
                          "401": _error("Sign in"), "403": _error("Editors only"), "413": _error("Too large")}}},
        "/api/v1/admin/broadcasts/preview": {"post": {
            "summary": "Each sign a broadcast would reach, as it would light it or why its face cannot hold it; "
                       "nothing is sent (editor)", "tags": ["console"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["title", "targets"], "properties": {
                    "title": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string"}},
                    "targets": OBJECT, "priority": {"type": "integer"}, "severity": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["signs"]}), "400": _error("Bad broadcast"),
                          "401": _error("Sign in"), "403": _error("Editors only"), "413": _error("Too large")}}},
        "/api/v1/admin/emergency/preview": {"post": {
            "summary": "Each sign of the chosen zones as it would show an emergency alert, or why it cannot; nothing "
                       "is sent (approver)", "tags": ["console"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["headline", "zones"], "properties": {
                    "headline": OBJECT, "description": OBJECT, "instruction": OBJECT,
                    "zones": {"type": "array", "items": {"type": "string"}}, "severity": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["signs"]}), "400": _error("Bad emergency"),
                          "401": _error("Sign in"), "403": _error("Approvers only"), "413": _error("Too large")}}},
        "/api/v1/admin/broadcasts/{message_id}": {"delete": {
            "summary": "Stop a broadcast everywhere now (editor)", "tags": ["console"],
            "parameters": [{"name": "message_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Stopped"}, "401": _error("Sign in"),
                          "403": _error("Editors only"), "404": _error("No such broadcast")}}},
        "/api/v1/admin/emergency": {"post": {
            "summary": "Issue an emergency alert: pre-empts panels, urgent push, CAP 1.2 (approver)",
            "tags": ["console"], "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["headline", "zones"], "properties": {
                    "headline": OBJECT, "description": OBJECT, "zones": {"type": "array", "items": {"type": "string"}},
                    "instruction": OBJECT, "severity": {"type": "string"}, "event": {"type": "string"},
                    "ends_at": {"type": "string"}}}}}},
            "responses": {"201": _json({"type": "object", "required": ["id", "cap"]}),
                          "400": _error("Bad emergency"), "401": _error("Sign in"), "403": _error("Approvers only"),
                          "413": _error("Too large"),
                          "503": _ENGINE_BEHIND}}},
        "/api/v1/admin/emergency/{alert_id}": {"delete": {
            "summary": "Cancel an emergency alert everywhere (approver)", "tags": ["console"],
            "parameters": [{"name": "alert_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Cancelled"}, "401": _error("Sign in"),
                          "403": _error("Approvers only")}}},
        "/api/v1/admin/audit": _get("The audit log: who did what, when; searchable (approver)", {
            "200": _json({"type": "object", "required": ["entries"]}), "401": _error("Sign in"),
            "403": _error("Approvers only")},
            [{"name": "q", "in": "query", "schema": {"type": "string"}},
             {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            tags=("console",)),
        "/api/v1/admin/templates": _get("Templates and their published version (viewer)", {
            "200": _json({"type": "object", "required": ["templates"]}), "401": _error("Sign in")},
            tags=("console",)),
        "/api/v1/admin/templates/{template_id}/versions": {
            "get": {"summary": "A template's versions (viewer)", "tags": ["console"], "parameters": [TEMPLATE_ID],
                    "responses": {"200": _json({"type": "object", "required": ["versions"]}),
                                  "401": _error("Sign in"), "404": _error("Unknown template")}},
            "post": {"summary": "Write a draft version (editor)", "tags": ["console"], "parameters": [TEMPLATE_ID],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["variants"]}}}},
                     "responses": {"201": _json(OBJECT), "400": _error("Bad template, or over the render budget"),
                                   "401": _error("Sign in"), "403": _error("Editors only"),
                                   "404": _error("Unknown template"), "413": _error("Too large"),
                                   "429": _error("A check of yours is still running"),
                                   "503": _error("Previews are busy")}}},
        "/api/v1/admin/templates/{template_id}/versions/{number}/{action}": {"post": {
            "summary": "submit (editor), approve or reject (approver other than the author)", "tags": ["console"],
            "parameters": [TEMPLATE_ID, {"name": "number", "in": "path", "required": True,
                                         "schema": {"type": "integer"}},
                           {"name": "action", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": ["submit", "approve", "reject"]}}],
            "responses": {"200": _json(OBJECT), "400": _error("Over the render budget"),
                          "401": _error("Sign in"), "403": _error("Not allowed"),
                          "404": _error("Unknown"), "409": _error("Not in a state for that"),
                          "429": _error("A check of yours is still running"), "503": _error("Previews are busy")}}},
        "/api/v1/admin/templates/{template_id}/rollback": {"post": {
            "summary": "Publish again a version another approver once published (approver)", "tags": ["console"],
            "parameters": [TEMPLATE_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}}}}},
            "responses": {"201": _json(OBJECT), "400": _error("Bad version, or over the render budget"),
                          "401": _error("Sign in"), "403": _error("Approvers only"),
                          "404": _error("Unknown template"), "409": _error("Never published by a second approver"),
                          "413": _error("Too large"), "429": _error("A check of yours is still running"),
                          "503": _error("Previews are busy")}}},
        "/api/v1/admin/accounts": {
            "get": {"summary": "Staff accounts (admin)", "tags": ["console"],
                    "responses": {"200": _json({"type": "object", "required": ["accounts"]}),
                                  "401": _error("Sign in"), "403": _error("Admins only")}},
            "post": {"summary": "Create an account or change its role and password (admin)", "tags": ["console"],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["username", "role", "password"], "properties": {
                             "username": {"type": "string"}, "role": {"type": "string"},
                             "password": {"type": "string"}}}}}},
                     "responses": {"201": _json({"type": "object", "required": ["username", "role"]}),
                                   "400": _error("Bad account"), "401": _error("Sign in"),
                                   "403": _error("Admins only"), "413": _error("Too large")}}},
        "/api/v1/open": _get("Open data: the datasets", {"200": _json(OBJECT), **OPEN}, tags=("open data",)),
        "/api/v1/open/panels": _get("What every panel shows now", {
            "200": _json_or_csv({"type": "object", "required": ["panels"]}), "400": _error("Bad format"), **OPEN,
        }, [FORMAT_JSON_CSV], tags=("open data",)),
        "/api/v1/open/panels.csv": _get("What every panel shows now, as CSV", {"200": _media("text/csv"), **OPEN},
                                        tags=("open data",)),
        "/api/v1/open/messages": _get("Messages on panels now, and active alerts", {
            "200": _json({"type": "object", "required": ["messages", "alerts"]}), **OPEN}, tags=("open data",)),
        "/api/v1/open/alerts": _get("Active alerts", {"200": _json({"type": "object", "required": ["alerts"]}),
                                                      **OPEN}, tags=("open data",)),
        "/api/v1/open/alerts.atom": _get("Active alerts as Atom, linking CAP 1.2 documents", {
            "200": _media("application/atom+xml"), **OPEN}, tags=("open data",)),
        "/api/v1/open/alerts/{alert_id}.xml": _get("One active alert as CAP 1.2", {
            "200": _media("application/cap+xml"), "404": _error("No such active alert"), **OPEN},
            [{"name": "alert_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            tags=("open data",)),
        "/api/v1/open/feeds": _get("Health of every data feed", {
            "200": _json({"type": "object", "required": ["feeds"]}), **OPEN}, tags=("open data",)),
    }
    for name, description in DATASETS.items():
        paths[f"/api/v1/open/{name}"] = _get(description, {"200": _json_or_csv(ITEMS), "400": _error("Bad format"),
                                                           **OPEN}, [FORMAT_JSON_CSV], tags=("open data",))
        paths[f"/api/v1/open/{name}.csv"] = _get(f"{description}, as CSV", {"200": _media("text/csv"), **OPEN},
                                                 tags=("open data",))
        paths[f"/api/v1/open/{name}/{{item_id}}/history"] = _get(f"{description}: one value's recent history", {
            "200": {"description": "OK", "content": {
                "application/json": {"schema": {"type": "object", "required": ["topic", "points"]}},
                "text/csv": {"schema": {"type": "string"}}}},
            "400": _error("Bad hours or format"), "404": _error("Unknown item"), **OPEN,
        }, [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "hours", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 48}},
            FORMAT_JSON_CSV], tags=("open data",))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Signage engine", "version": "1",
                 "description": "Real-time signage and citizen notification: panels, live data, push, open data."},
        "paths": paths,
        "components": {"securitySchemes": {
            "feedToken": {"type": "http", "scheme": "bearer",
                          "description": "A feed producer's token, from `signage feeds token FEED`"},
            "webhookSignature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                                 "description": "t=<unix seconds>,v1=<HMAC-SHA256 of t.body with the feed's secret>"},
        }},
    }


@routes.get("/api/v1/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(), headers={"Access-Control-Allow-Origin": "*",
                                                          "Cache-Control": "public, max-age=300"})
