"""What staff decided, as the Store keeps it: the published template versions, the broadcasts not yet over and
the emergencies in force. The console writes them before it tells the engine; the engine reads them at start,
so that they survive a restart by themselves, not by what the bus happens to retain."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from signage.model import Alert, Message
from signage.store import Store
from signage.template_versions import TemplateVersion
from signage.templates import TemplateSpec

__all__ = ["BROADCASTS", "EMERGENCIES", "TEMPLATE_VERSIONS", "StaffDecisions", "staff_decisions"]

BROADCASTS = "broadcasts"  # the broadcasts not yet over, by message id
EMERGENCIES = "emergencies"  # the emergencies issued from the console and not cancelled, by alert id
TEMPLATE_VERSIONS = "template_versions"  # every version of every template, by ``template:number``

log = logging.getLogger("signage.engine")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StaffDecisions:
    templates: dict[str, TemplateSpec]  # the published version of each template published from the console
    broadcasts: list[Message]
    emergencies: list[Alert]


def _readable(docs: list[dict[str, Any]], parse: Callable[[dict[str, Any]], T], what: str) -> list[T]:
    readable = []
    for doc in docs:
        try:
            readable.append(parse(doc))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("%s skipped: %r", what, exc)
    return readable


async def staff_decisions(store: Store, now: datetime) -> StaffDecisions:
    """Read what staff decided that still holds at ``now``; an unreadable document is logged and skipped."""
    versions = _readable(await store.documents(TEMPLATE_VERSIONS), TemplateVersion.from_json, "template version")
    broadcasts = _readable(await store.documents(BROADCASTS), Message.from_json, "broadcast")
    emergencies = _readable(await store.documents(EMERGENCIES), Alert.from_json, "emergency")
    return StaffDecisions({v.template: v.as_spec() for v in versions if v.state == "published"},
                          [m for m in broadcasts if m.expires_at is None or m.expires_at > now],
                          [a for a in emergencies if a.expires is None or a.expires > now])
