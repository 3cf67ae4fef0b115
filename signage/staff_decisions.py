"""What staff decided, as the Store keeps it: the published template versions, the broadcasts not yet over and
the emergencies in force. The console writes them before it tells the engine; the engine reads them at start,
so that they survive a restart by themselves, not by what the bus happens to retain."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from signage.model import Alert, Message
from signage.store import Store
from signage.template_versions import TemplateVersion
from signage.templates import TemplateSpec

__all__ = ["BROADCASTS", "EMERGENCIES", "TEMPLATE_VERSIONS", "StaffDecisions", "staff_decisions"]

BROADCASTS = "broadcasts"  # the broadcasts not yet over, by message id
EMERGENCIES = "emergencies"  # the emergencies issued from the console and not cancelled, by alert id
TEMPLATE_VERSIONS = "template_versions"  # every version of every template, by ``template:number``

log = logging.getLogger("signage.engine")


@dataclass(frozen=True, slots=True)
class StaffDecisions:
    templates: dict[str, TemplateSpec]  # the published version of each template published from the console
    broadcasts: list[Message]
    emergencies: list[Alert]


async def staff_decisions(store: Store, now: datetime) -> StaffDecisions:
    """Read what staff decided that still holds at ``now``; an unreadable document is logged and skipped."""
    templates: dict[str, TemplateSpec] = {}
    broadcasts: list[Message] = []
    emergencies: list[Alert] = []
    for doc in await store.documents(TEMPLATE_VERSIONS):
        try:
            version = TemplateVersion.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("template version skipped: %r", exc)
            continue
        if version.state == "published":
            templates[version.template] = version.as_spec()
    for doc in await store.documents(BROADCASTS):
        try:
            message = Message.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("broadcast skipped: %r", exc)
            continue
        if message.expires_at is None or message.expires_at > now:
            broadcasts.append(message)
    for doc in await store.documents(EMERGENCIES):
        try:
            alert = Alert.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("emergency skipped: %r", exc)
            continue
        if alert.expires is None or alert.expires > now:
            emergencies.append(alert)
    return StaffDecisions(templates, broadcasts, emergencies)
