"""Web Push payloads: what a phone's service worker receives, as compact JSON.

RFC 8291 leaves 3,993 bytes of plaintext in a 4,096-byte record (less the 16-byte tag, the padding delimiter and
the 86-byte aes128gcm header). A longer message is cut on a UTF-8 character boundary, body first, with an ellipsis,
so the phone shows a shortened text rather than nothing.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_PLAINTEXT", "push_payload"]

MAX_PLAINTEXT = 3993
ELLIPSIS = "…"


def _encoded(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _shortened(payload: dict[str, Any], field: str, limit: int) -> dict[str, Any]:
    """``payload`` with ``field`` cut to the longest prefix (in characters) that keeps it within ``limit``."""
    text: str = payload[field]
    low, high = 0, len(text)
    while low < high:  # the largest n for which the payload fits
        middle = (low + high + 1) // 2
        if len(_encoded({**payload, field: text[:middle].rstrip() + ELLIPSIS})) <= limit:
            low = middle
        else:
            high = middle - 1
    return {**payload, field: text[:low].rstrip() + ELLIPSIS if low or text else ""}


def push_payload(*, title: str, body: str, url: str, tag: str, language: str, icon: str = "/static/icon-192.png",
                 severity: str | None = None, limit: int = MAX_PLAINTEXT) -> bytes:
    """The notification as a phone shows it: ``tag`` makes a newer notification of the same message replace the
    older one. Never more than ``limit`` bytes."""
    payload: dict[str, Any] = {"title": title, "body": body, "icon": icon, "url": url, "tag": tag, "lang": language}
    if severity:
        payload["severity"] = severity
    if len(_encoded(payload)) <= limit:
        return _encoded(payload)
    payload = _shortened(payload, "body", limit)
    if len(_encoded(payload)) > limit:
        payload = _shortened({**payload, "body": ""}, "title", limit)
    encoded = _encoded(payload)
    if len(encoded) > limit:
        raise ValueError(f"url, tag and icon alone take more than {limit} bytes")
    return encoded
