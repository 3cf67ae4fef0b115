"""Open live connections (WebSocket and SSE) per client address, so that one address cannot take them all."""

from __future__ import annotations

__all__ = ["AddressSlots"]


class AddressSlots:
    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def take(self, address: str, limit: int) -> bool:
        """Hold one more connection for ``address``; False when it already holds ``limit``."""
        held = self._held.get(address, 0)
        if held >= limit:
            return False
        self._held[address] = held + 1
        return True

    def held(self, address: str) -> int:
        """How many connections ``address`` holds now."""
        return self._held.get(address, 0)

    def release(self, address: str) -> None:
        held = self._held.get(address, 0) - 1
        if held > 0:
            self._held[address] = held
        else:
            self._held.pop(address, None)
