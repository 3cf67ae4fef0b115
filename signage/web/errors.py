"""Every HTTP error is JSON: ``{"error": {"code": …, "message": …}}`` with the right status."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

__all__ = ["error_middleware", "json_error"]

log = logging.getLogger("signage.web")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}


def json_error(kind: type[web.HTTPException], code: str, message: str, **extra: Any) -> web.HTTPException:
    body = json.dumps({"error": {"code": code, "message": message, **extra}}, ensure_ascii=False)
    if issubclass(kind, web.HTTPRequestEntityTooLarge):  # its constructor wants the sizes, not a body
        error: web.HTTPException = kind(max_size=0, actual_size=0)
        error.text = body
        error.content_type = "application/json"
        return error
    return kind(text=body, content_type="application/json")


@web.middleware
async def error_middleware(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code = _CODES.get(exc.status, "error")
        raise json_error(type(exc), code, exc.reason if exc.status != 413 else
                         f"the body is larger than this endpoint accepts ({exc.text})") from None
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        raise json_error(web.HTTPInternalServerError, "internal_error",
                         "the server failed; the error is logged") from None


async def read_json(request: web.Request, max_bytes: int) -> Any:
    """The request's JSON body: 413 beyond ``max_bytes`` (without reading more), 400 when it is not JSON."""
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise json_error(web.HTTPRequestEntityTooLarge, "too_large", f"at most {max_bytes} bytes")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise json_error(web.HTTPBadRequest, "bad_json", "the body is not JSON") from exc
