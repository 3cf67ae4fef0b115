"""Open live connections (WebSocket, SSE, long polls): at most so many per client address, so that one address
cannot take them all, and at most so many in the process, so that it refuses with "try again later" before the
open-file limit makes it fail to accept at all."""

from __future__ import annotations

import enum
import resource

__all__ = ["AddressSlots", "Refusal", "process_connection_limit"]

RESERVED_FILES = 512  # kept for Redis, SQLite, preview workers, listening sockets and the files a request opens


class Refusal(enum.Enum):
    ADDRESS_FULL = "this address holds the most connections allowed"
    PROCESS_FULL = "this web process holds the most connections it can"


def process_connection_limit() -> int:
    """Connections one process can hold: its open-file limit, less what the rest of the process needs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(16, soft - max(RESERVED_FILES, soft // 20))


class AddressSlots:
    def __init__(self, per_address: int, in_all: int) -> None:
        self.per_address = per_address
        self.in_all = in_all
        self._held: dict[str, int] = {}
        self.total = 0

    def take(self, address: str) -> Refusal | None:
        """Hold one more connection for ``address``; what refused it otherwise."""
        held = self._held.get(address, 0)
        if held >= self.per_address:
            return Refusal.ADDRESS_FULL
        if self.total >= self.in_all:
            return Refusal.PROCESS_FULL
        self._held[address] = held + 1
        self.total += 1
        return None

    def held(self, address: str) -> int:
        """How many connections ``address`` holds now."""
        return self._held.get(address, 0)

    def release(self, address: str) -> None:
        held = self._held.get(address, 0) - 1
        if held < 0:
            return
        self.total -= 1
        if held > 0:
            self._held[address] = held
        else:
            self._held.pop(address, None)
