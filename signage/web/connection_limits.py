"""How a live connection (WebSocket, SSE, long poll) that a limit refuses is told so, and when to come back.

Too many from one address is the client's doing: 4029 or 429. A full process, or a bus that cannot be read for a
moment, is the server's: the WebSocket close code 1013 (Try Again Later, RFC 6455's registry) or 503 with
``Retry-After``. The pages the city ships wait a growing, jittered delay before they reconnect, so a storm of
clients refused at once does not come back at once.
"""

from __future__ import annotations

from aiohttp import web

from channels.address_slots import Refusal
from channels.fanout import CLOSE_TOO_MANY_CONNECTIONS, CLOSE_TRY_AGAIN_LATER
from signage.web.errors import json_error

__all__ = ["RETRY_LATER_S", "TRY_AGAIN_LATER", "refusal_close", "refusal_error"]

RETRY_LATER_S = 2  # the least a refused client should wait; the shipped pages add jitter
# The server's side, whether the process is full or the bus cannot be read for now.
TRY_AGAIN_LATER = (CLOSE_TRY_AGAIN_LATER, f"server busy: retry in {RETRY_LATER_S} s or more".encode())


def refusal_close(refusal: Refusal, per_address: int) -> tuple[int, bytes]:
    """The WebSocket close code and reason for ``refusal``."""
    if refusal is Refusal.ADDRESS_FULL:
        return CLOSE_TOO_MANY_CONNECTIONS, f"at most {per_address} connections per address".encode()
    return TRY_AGAIN_LATER


def refusal_error(refusal: Refusal, per_address: int) -> web.HTTPException:
    """The HTTP answer for ``refusal``: 429 for the address, 503 with ``Retry-After`` for the process."""
    if refusal is Refusal.ADDRESS_FULL:
        return json_error(web.HTTPTooManyRequests, "too_many_connections",
                          f"at most {per_address} open connections per address")
    error = json_error(web.HTTPServiceUnavailable, "busy",
                       f"this server holds the most connections it can; retry in {RETRY_LATER_S} s")
    error.headers["Retry-After"] = str(RETRY_LATER_S)
    return error
