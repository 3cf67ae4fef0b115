"""Devices fed from what their panels show (pixel walls, NTCIP signs), on the leading engine.

One task per device, kept in step with the configuration: an edit starts, stops or re-aims exactly the devices it
touches (``reconfigure``). Each device follows its panel's topic through the process's hub (one reader of the
bus's live stream per process, however many follow it), and is offered its panel's latest content when it starts.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

from channels.hub import Hub, Outgoing
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

    def __init__(self, name: str, config: Callable[[], Config], hub: Hub) -> None:
        self._name = name
        self._config = config
        self._hub = hub
        self.devices: dict[str, D] = {}
        self._tasks: KeyedTasks[tuple[Panel, Profile]] | None = None
        self._followers: dict[str, _Follower] = {}
        self._arrived: dict[str, Any] = {}  # panel id -> its newest content not yet offered
        self._wake = asyncio.Event()

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
            while True:
                await self._wake.wait()
                self._wake.clear()
                arrived, self._arrived = self._arrived, {}
                for panel_id, content in arrived.items():
                    device = self.devices.get(panel_id)
                    if device is not None:
                        await self.offer(device, content)
        finally:
            tasks, self._tasks = self._tasks, None
            for panel_id in list(self._followers):
                self._unfollow(panel_id)
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
            self._unfollow(panel_id)
            await self.forget(panel_id)
        for panel_id in (*done.started, *done.restarted):
            if panel_id not in self._followers:  # following first: nothing published meanwhile is missed
                follower = self._followers[panel_id] = _Follower(self, panel_id)
                self._hub.add(f"panel/{panel_id}", follower)
            latest = await self._hub.latest(f"panel/{panel_id}")
            if latest is not None:
                await self.offer(self.devices[panel_id], latest.data)

    def arrived(self, panel_id: str, content: Any) -> None:
        """The hub's dispatch: keep only the newest content per panel, offered by ``run`` (offers may wait)."""
        self._arrived[panel_id] = content
        self._wake.set()

    def _unfollow(self, panel_id: str) -> None:
        follower = self._followers.pop(panel_id, None)
        if follower is not None:
            self._hub.remove(f"panel/{panel_id}", follower)

    def _start(self, panel_id: str, spec: tuple[Panel, Profile]) -> Coroutine[Any, Any, None]:
        device = self.devices[panel_id] = self.build(*spec)
        return device.run()


class _Follower:
    """One device's place among its panel topic's subscribers in the hub."""

    __slots__ = ("owner", "panel_id")

    def __init__(self, owner: PanelDevices[Any], panel_id: str) -> None:
        self.owner = owner
        self.panel_id = panel_id

    def offer(self, outgoing: Outgoing) -> None:
        self.owner.arrived(self.panel_id, outgoing.update.data)
