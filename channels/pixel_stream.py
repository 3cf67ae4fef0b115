"""Frames streamed to pixel walls over UDP: DDP or E1.31, from what each streaming panel shows.

One sender per wall loops through its frames (pages with their times) and sends a held frame again every second,
because E1.31 receivers blank after 2.5 s without data. A new content replaces the loop at once. Rendering runs
in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Callable
from typing import Any

from channels.hub import Hub
from channels.panel_devices import PanelDevices
from renderers.ddp import ddp_packets
from renderers.e131 import e131_packets
from renderers.pixel_frames import Frame, page_frames
from signage.config import Config
from signage.model import Panel, Profile, StreamTarget

__all__ = ["PixelStreamer"]

log = logging.getLogger(__name__)
HOLD_RESEND_S = 1.0


class _Wall:
    def __init__(self, panel: Panel, target: StreamTarget, send: Callable[[bytes, tuple[str, int]], None]) -> None:
        self.panel = panel
        self.target = target
        self.send = send
        self.sequence = 0
        self.frames: list[Frame] = []
        self.changed = asyncio.Event()
        self.cid = uuid.uuid5(uuid.NAMESPACE_URL, f"signage:panel:{panel.id}")

    def packets(self, frame: Frame) -> list[bytes]:
        self.sequence = (self.sequence + 1) % 256
        rgb = bytes(frame.raster.pixels)
        if self.target.protocol == "ddp":
            return ddp_packets(rgb, self.sequence)
        return e131_packets(rgb, self.target.universe, self.sequence, self.cid, f"signage {self.panel.id}")

    async def run(self) -> None:
        while True:
            if not self.frames:
                await self.changed.wait()
            self.changed.clear()
            for frame in list(self.frames):
                for packet in self.packets(frame):
                    self.send(packet, (self.target.host, self.target.port))
                hold = frame.duration_ms / 1000 if frame.duration_ms else HOLD_RESEND_S
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), timeout=hold)
                if self.changed.is_set():
                    break


class PixelStreamer(PanelDevices[_Wall]):
    """Feeds every panel with a ``stream`` target from the bus's panel topics."""

    def __init__(self, config: Callable[[], Config], hub: Hub) -> None:
        super().__init__("pixel walls", config, hub)
        self._socket: socket.socket | None = None

    @property
    def walls(self) -> dict[str, _Wall]:
        return self.devices

    async def run(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        try:
            await super().run()
        finally:
            self._socket.close()

    def selects(self, panel: Panel) -> bool:
        return panel.stream is not None

    def build(self, panel: Panel, profile: Profile) -> _Wall:
        assert panel.stream is not None
        return _Wall(panel, panel.stream, self._send)

    def _send(self, packet: bytes, address: tuple[str, int]) -> None:
        if self._socket is None:
            return
        try:
            self._socket.sendto(packet, address)
        except OSError as exc:  # an unreachable wall must not stop the others
            log.warning("pixel stream to %s:%s failed: %s", address[0], address[1], exc)

    async def offer(self, wall: _Wall, content: Any) -> None:
        multi = content.get("multi") if isinstance(content, dict) else None
        if not isinstance(multi, str):
            return
        profile = self._config().profiles[wall.panel.profile]
        try:
            wall.frames = await asyncio.to_thread(page_frames, multi, profile)
        except ValueError as exc:
            log.error("panel %s: cannot stream its content: %s", wall.panel.id, exc)
            return
        wall.changed.set()
