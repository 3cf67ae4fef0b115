"""What every request goes through before its handler, as one middleware: the request line and headers within
this server's limits, the client's address behind a trusted proxy, and every error answered as JSON.

One layer rather than one per job, because each layer is a coroutine frame that a WebSocket, an SSE stream or a
long poll keeps for as long as it lasts (and aiohttp adds a layer of its own whenever there is any), and a step
that every panel's poll pays.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from signage.web.client_address import behind_trusted_proxy
from signage.web.errors import error_answer, refuse_oversized

__all__ = ["edge_middleware"]


@web.middleware
async def edge_middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    refuse_oversized(request)
    try:
        return await handler(behind_trusted_proxy(request))
    except Exception as exc:
        answer = error_answer(request, exc)
        if answer is exc:
            raise
        raise answer from None
