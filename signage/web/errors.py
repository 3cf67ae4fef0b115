"""Every HTTP error is JSON: ``{"error": {"code": …, "message": …}}`` with the right status."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from signage.safe_json import JsonProblem, loads

__all__ = ["SERVER_LIMITS", "error_answer", "json_error", "read_body", "read_json", "refuse_oversized"]

log = logging.getLogger("signage.web")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 413: "too_large", 414: "uri_too_long", 415: "unsupported_media_type",
          429: "too_many_requests", 431: "header_too_large"}


def json_error(kind: type[web.HTTPException], code: str, message: str, **extra: Any) -> web.HTTPException:
    body = json.dumps({"error": {"code": code, "message": message, **extra}}, ensure_ascii=False)
    if issubclass(kind, web.HTTPRequestEntityTooLarge):  # its constructor wants the sizes, not a body
        error: web.HTTPException = kind(max_size=0, actual_size=0)
        error.text = body
        error.content_type = "application/json"
        return error
    return kind(text=body, content_type="application/json")


RETRY_AFTER_S = 5
# What a backend raises when it cannot be reached (redis-py's connection errors, Redis loading its data, a
# failover in progress): a 503 with Retry-After, never a 500.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, ConnectionError, TimeoutError)
MAX_URL = 8 * 1024  # longer request targets get a 414 here (the server reads up to SERVER_LIMITS before that)
MAX_HEADER = 8 * 1024
SERVER_LIMITS = {"max_line_size": 64 * 1024, "max_field_size": 64 * 1024}  # for aiohttp's parser (run_app)


def _as_json(exc: web.HTTPException) -> web.HTTPException:
    """An aiohttp error (405 from the router, 413 from a body limit…) with the same status and headers (such as
    ``Allow``), its body made the JSON error every client of this API expects."""
    message = exc.reason if exc.status != 413 else f"the body is larger than this endpoint accepts ({exc.text})"
    if exc.status == 405 and "Allow" in exc.headers:
        message = f"{exc.reason}; allowed: {exc.headers['Allow']}"
    exc.text = json.dumps({"error": {"code": _CODES.get(exc.status, "error"), "message": message}},
                          ensure_ascii=False)
    exc.content_type = "application/json"
    return exc


def refuse_oversized(request: web.Request) -> None:
    """414 for a request target, 431 for a header, longer than this server reads."""
    if len(request.raw_path) > MAX_URL:
        raise json_error(web.HTTPRequestURITooLong, "uri_too_long", f"the URL is longer than {MAX_URL} characters")
    if any(len(value) > MAX_HEADER for value in request.headers.values()):
        raise json_error(web.HTTPRequestHeaderFieldsTooLarge, "header_too_large",
                         f"a header is longer than {MAX_HEADER} characters")


def error_answer(request: web.Request, exc: Exception) -> Exception:
    """What to raise for ``exc`` out of a handler: the same exception when it already speaks to its reader (a
    redirect, JSON for scripts, the console's HTML page), else its JSON version; a backend out of reach is a 503
    with ``Retry-After``, anything unexpected a logged 500."""
    if isinstance(exc, web.HTTPException):
        if exc.status < 400 or exc.content_type in ("application/json", "text/html"):
            return exc
        return _as_json(exc)
    if isinstance(exc, UNAVAILABLE):
        # Redis down or failing over: nothing was kept, and the sender should try again shortly.
        log.warning("%s %s: backend unavailable (%s)", request.method, request.path[:200], type(exc).__name__)
        error = json_error(web.HTTPServiceUnavailable, "unavailable",
                           f"storage is unreachable for now; retry in {RETRY_AFTER_S} s")
        error.headers["Retry-After"] = str(RETRY_AFTER_S)
        return error
    log.error("unhandled error on %s %s", request.method, request.path[:200], exc_info=exc)
    return json_error(web.HTTPInternalServerError, "internal_error", "the server failed; the error is logged")


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request's body, or 413 as soon as it passes ``max_bytes`` (the rest is never read)."""
    if (request.content_length or 0) > max_bytes:
        raise json_error(web.HTTPRequestEntityTooLarge, "too_large", f"at most {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):  # read(n) gives what has arrived, up to n
        size += len(chunk)
        if size > max_bytes:
            raise json_error(web.HTTPRequestEntityTooLarge, "too_large", f"at most {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, max_bytes: int) -> Any:
    """The request's JSON body: 413 beyond ``max_bytes`` (without reading more), 400 when it is not acceptable
    JSON (``signage.safe_json``: no NaN, no endless numbers or nesting), saying why."""
    raw = await read_body(request, max_bytes)
    try:
        return loads(raw)
    except JsonProblem as exc:
        raise json_error(web.HTTPBadRequest, "bad_json", f"the body is not acceptable JSON: {exc}") from exc
