"""The configuration a running process uses, replaced whole when its file changes: no restart needed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from signage.config import Config, ConfigInvalid, load_config

__all__ = ["LiveConfig"]

log = logging.getLogger("signage.config")


class LiveConfig:
    """Holds the current configuration; ``watch`` reloads it when the file changes, if it is valid."""

    def __init__(self, config: Config, path: Path) -> None:
        self.current = config
        self.version = 1
        self.errors: list[str] = []
        self._path = path
        self._stamp = self._read_stamp()
        self._listeners: list[Callable[[Config], Awaitable[None]]] = []

    def on_change(self, listener: Callable[[Config], Awaitable[None]]) -> None:
        self._listeners.append(listener)

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    async def check(self) -> bool:
        """Reload if the file changed; returns whether a new configuration was taken."""
        stamp = self._read_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            config = await asyncio.to_thread(load_config, self._path)
        except ConfigInvalid as exc:
            # A bad edit never takes the city's panels down: the running configuration stays.
            self.errors = [str(error) for error in exc.errors]
            for error in self.errors:
                log.error("configuration not reloaded: %s", error)
            return False
        self.current = config
        self.version += 1
        self.errors = []
        log.info("configuration %s reloaded (version %d)", self._path, self.version)
        for listener in self._listeners:  # each part the edit touches follows it; one failing stops no other
            try:
                await listener(config)
            except Exception:
                log.exception("a part of the engine could not follow configuration version %d", self.version)
        return True

    async def watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.check()
