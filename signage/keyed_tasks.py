"""Background tasks kept in step with what the configuration wants: one task per key (a feed's id, a wall's
panel), started when the key appears, stopped when it goes, restarted when what it was started with changes.
What did not change keeps running untouched, so an edit to one feed never interrupts another."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["KeyedTasks", "Reconciled"]

log = logging.getLogger("signage.tasks")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What one ``reconcile`` did, by key."""

    started: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()
    restarted: tuple[str, ...] = ()
    kept: tuple[str, ...] = field(default=())


class KeyedTasks(Generic[S]):
    """``start(key, spec)`` is run as one task per key of the wanted mapping; specs are compared with ``==``."""

    def __init__(self, name: str, start: Callable[[str, S], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._start = start
        self._running: dict[str, tuple[S, asyncio.Task[None]]] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._running)

    async def reconcile(self, wanted: Mapping[str, S]) -> Reconciled:
        stopped = [key for key in self._running if key not in wanted]
        restarted = [key for key, spec in wanted.items() if key in self._running and self._running[key][0] != spec]
        started = [key for key in wanted if key not in self._running]
        await self._stop([*stopped, *restarted])
        for key in (*restarted, *started):
            self._running[key] = (wanted[key], asyncio.create_task(self._start(key, wanted[key]),
                                                                   name=f"{self._name} {key}"))
        if stopped or restarted or started:
            log.info("%s: started %s, restarted %s, stopped %s", self._name, started or "none",
                     restarted or "none", stopped or "none")
        return Reconciled(tuple(started), tuple(stopped), tuple(restarted),
                          tuple(k for k in wanted if k not in started and k not in restarted))

    async def close(self) -> None:
        await self._stop(list(self._running))

    async def _stop(self, keys: list[str]) -> None:
        tasks = [self._running.pop(key)[1] for key in keys]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
