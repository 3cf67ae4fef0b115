"""``signage feeds``: list the deliveries that were refused, and send them again after a mapping fix.

Retrying goes through the running server's own ``POST /feeds/{id}``, so it works the same on the embedded
default and on Redis, and a delivery refused again is kept again with its new reason. A letter that is
accepted is removed from the store.
"""

from __future__ import annotations

import base64
import sys
import time
from typing import Any

import aiohttp

from signage.config import Config
from signage.feeds.webhook import SIGNATURE_HEADER, sign
from signage.store import Store

__all__ = ["list_dead_letters", "retry_dead_letters"]


async def list_dead_letters(store: Store) -> list[dict[str, Any]]:
    letters = await store.documents("dead_letters")
    return [{k: v for k, v in letter.items() if k != "body_base64"} | {
        "bytes": len(base64.b64decode(letter.get("body_base64", "")))} for letter in letters]


async def retry_dead_letters(store: Store, config: Config, base_url: str, only: str | None = None) -> tuple[int, int]:
    """Send the kept deliveries again; returns (accepted, refused again)."""
    accepted = refused = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for letter in await store.documents("dead_letters"):
            if only is not None and letter["id"] != only:
                continue
            feed = config.feeds.get(letter["feed"])
            body = base64.b64decode(letter["body_base64"])
            headers = {"Content-Type": letter.get("content_type") or "application/octet-stream"}
            if feed is not None and feed.format == "webhook" and feed.options.get("secret"):
                # The original signature has aged out; this delivery was authenticated when it arrived.
                headers[SIGNATURE_HEADER] = sign(str(feed.options["secret"]), int(time.time()), body)
            async with http.post(f"{base_url.rstrip('/')}/feeds/{letter['feed']}", data=body,
                                 headers=headers) as response:
                answer = await response.json(content_type=None)
            if response.status == 202:
                accepted += 1
                await store.delete("dead_letters", letter["id"])
                print(f"{letter['id']}: accepted ({answer.get('observations')} observations)")
            else:
                refused += 1
                reason = answer.get("error", {}).get("message", response.reason)
                print(f"{letter['id']}: refused again ({response.status}): {reason}", file=sys.stderr)
                if response.status < 500:
                    await store.delete("dead_letters", letter["id"])  # the server kept it anew, with its reason
    return accepted, refused
