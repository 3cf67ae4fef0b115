"""Devices fed from what their panels show (pixel walls, NTCIP signs), on the leading engine.

One task per device, kept in step with the configuration: an edit starts, stops or re-aims exactly the devices it
touches (``reconfigure``). Each device is offered its panel's content as the bus publishes it, and its panel's
latest content when it starts.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

from signage.bus import Bus
from signage.config import Config
from signage.keyed_tasks import KeyedTasks
from signage.model import Panel, Profile

__all__ = ["Device", "PanelDevices"]



class Device(Protocol):
    async def run(self) -> None: ...


D = TypeVar("D", bound=Device)


class PanelDevices(abc.ABC, Generic[D]):
    """Subclasses say which panels have a device (``selects``), how one is made (``build``; its ``run`` is its
    task), and what it does with its panel's content (``offer``)."""

    def __init__(self, name: str, config: Callable[[], Config], bus: Bus) -> None:
        self._name = name
        self._config = config
        self._bus = bus
        self.devices: dict[str, D] = {}
        self._tasks: KeyedTasks[tuple[Panel, Profile]] | None = None

    @abc.abstractmethod
    def selects(self, panel: Panel) -> bool: ...

    @abc.abstractmethod
    def build(self, panel: Panel, profile: Profile) -> D: ...

    @abc.abstractmethod
    async def offer(self, device: D, content: Any) -> None: ...

    async def forget(self, panel_id: str) -> None:
        """A device left the configuration."""

    async def run(self) -> None:
        self._tasks = KeyedTasks(self._name, self._start)
        try:
            await self.reconfigure(self._config())
            async for update in self._bus.live():
                device = self.devices.get(update.topic.removeprefix("panel/"))
                if device is not None and update.topic.startswith("panel/"):
                    await self.offer(device, update.data)
        finally:
            tasks, self._tasks = self._tasks, None
            await tasks.close()
            self.devices.clear()

    async def reconfigure(self, config: Config) -> None:
        """Devices in step with ``config``: a new one starts with what its panel shows now."""
        if self._tasks is None:
            return  # not running yet: ``run`` reads the configuration when it starts
        wanted = {panel.id: (panel, config.profiles[panel.profile]) for panel in config.panels.values()
                  if self.selects(panel)}
        done = await self._tasks.reconcile(wanted)
        for panel_id in done.stopped:
            self.devices.pop(panel_id, None)
            await self.forget(panel_id)
        for panel_id in (*done.started, *done.restarted):
            latest = await self._bus.latest(f"panel/{panel_id}")
            if latest is not None:
                await self.offer(self.devices[panel_id], latest.data)

    def _start(self, panel_id: str, spec: tuple[Panel, Profile]) -> Coroutine[Any, Any, None]:
        device = self.devices[panel_id] = self.build(*spec)
        return device.run()
