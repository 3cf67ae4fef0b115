"""Stopping background tasks reliably."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(task: asyncio.Task[object], retry_s: float = 0.5) -> None:
    """Cancel ``task`` and wait until it is done, cancelling again if a library swallowed the cancellation.

    redis-py can swallow a cancellation that lands inside its read timeout; a loop that then goes on would
    block shutdown for ever. Re-cancelling until the task ends makes stopping certain.
    """
    while not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task}, timeout=retry_s)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
