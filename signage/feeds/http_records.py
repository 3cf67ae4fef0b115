"""Plain JSON, CSV or XML records, as open-data portals serve them (format ``http-poll``, usually polled).

``content`` says which (guessed from the body when absent); ``records`` locates the list: a dotted path in
JSON (``results``, ``data.items``), the repeated element's name in XML. CSV rows are records as they are
(``;`` or ``,`` separated). Each record is mapped like a webhook's: ``key``, ``id_field``, ``fields``,
``time_field``.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from signage.feeds.base import FeedError, FeedResult, json_body
from signage.feeds.webhook import map_records
from signage.feeds.xmltree import local, parse_xml
from signage.model import FeedConfig

__all__ = ["decode_http_records"]


def _json_records(body: bytes, path: str | None) -> list[Any]:
    document: Any = json_body(body)
    for part in (path.split(".") if path else []):
        if not isinstance(document, dict) or part not in document:
            raise FeedError(f"the records path has no {part!r}", path or "records")
        document = document[part]
    if not isinstance(document, list):
        document = [document]
    return list(document)


def _csv_records(body: bytes) -> list[Any]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(f"CSV is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FeedError(f"not readable CSV ({exc})", "csv") from exc
    if not rows:
        raise FeedError("the CSV has a header but no rows", "csv")
    return rows


def _xml_records(body: bytes, name: str | None) -> list[Any]:
    root = parse_xml(body)
    elements = [e for e in root.iter() if local(e) == name] if name else list(root)
    return [{local(child): (child.text or "").strip() for child in element} | dict(element.attrib)
            for element in elements]


def decode_http_records(feed: FeedConfig, body: bytes, received_at: datetime) -> FeedResult:
    content = feed.options.get("content")
    start = body.lstrip()[:1]
    if content is None:
        content = "json" if start in (b"{", b"[") else "xml" if start == b"<" else "csv"
    records_path = feed.options.get("records")
    if content == "json":
        records = _json_records(body, str(records_path) if records_path else None)
    elif content == "xml":
        records = _xml_records(body, str(records_path) if records_path else None)
    elif content == "csv":
        records = _csv_records(body)
    else:
        raise FeedError(f"content must be json, csv or xml, not {content!r}", "content")
    return map_records(feed, records, received_at)
