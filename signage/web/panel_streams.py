"""The panel streams open in this process, so that revoking a panel's token closes them at once."""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["PanelStreams"]


class OpenStream(Protocol):
    async def recheck(self) -> None:
        """Check the stream's token again (not from memory) and close the stream if it no longer holds."""


class PanelStreams:
    def __init__(self) -> None:
        self._open: set[OpenStream] = set()

    def add(self, stream: OpenStream) -> None:
        self._open.add(stream)

    def discard(self, stream: OpenStream) -> None:
        self._open.discard(stream)

    async def recheck(self) -> None:
        """Every open stream checks its token again, all at once: one slow panel does not hold up the others."""
        await asyncio.gather(*(stream.recheck() for stream in list(self._open)))
