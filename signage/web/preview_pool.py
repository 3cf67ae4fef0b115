"""Worker processes for what staff type: template previews and version checks, killed at a deadline.

A template being edited is untrusted code, however well sandboxed and budgeted: it runs here, in a few processes
of its own (started on first use), each with a memory ceiling and a lower scheduling priority, one job at a time.
A job that outlives its deadline costs its worker, which is killed and replaced; the server's event loop, and the
threads that check passwords, never wait on it. Jobs queue for a free worker up to a bound; beyond it, or after
waiting a deadline for a worker, the caller hears that previews are busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

__all__ = ["PreviewBusy", "PreviewFailed", "PreviewPool", "PreviewTimeout"]

log = logging.getLogger("signage.previews")
STARTUP_S = 60.0
T = TypeVar("T")


class PreviewBusy(Exception):
    """Every worker is taken and the queue is full, or no worker came free in time."""


class PreviewTimeout(Exception):
    """The job ran past its deadline; its worker was killed."""


class PreviewFailed(Exception):
    """The job failed in a way that says something about its input (a ``ValueError``): the message says how."""


def _worker(connection: Connection, memory_bytes: int, preload: tuple[str, ...]
            ) -> None:  # pragma: no cover - runs in the child process
    """A worker's life: load what its jobs use, say it is ready, then take a job, run it, send back
    ``(True, value)`` or ``(False, message)``."""
    import importlib
    import resource

    for module in preload:  # before the ceiling, and before any job's deadline starts
        importlib.import_module(module)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    with contextlib.suppress(OSError):
        os.nice(5)
    connection.send((True, "ready"))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        function, args = job
        try:
            connection.send((True, function(*args)))
        except MemoryError:
            connection.send((False, "the template needs more memory than a preview may have"))
        except ValueError as exc:  # TemplateProblem, PreviewProblem: the input's fault, said in words
            connection.send((False, str(exc)))
        except Exception as exc:  # anything else is a bug; say so rather than leave the caller waiting
            connection.send((False, f"the preview failed ({type(exc).__name__}: {exc})"))


@dataclass(slots=True, eq=False)
class _Worker:
    process: BaseProcess
    connection: Connection
    jobs: int = field(default=0)


class PreviewPool:
    def __init__(self, workers: int = 2, deadline_s: float = 2.0, queue: int = 16,
                 memory_bytes: int = 1024 * 1024 * 1024,
                 preload: tuple[str, ...] = ("signage.web.template_preview",)) -> None:
        self.deadline_s = deadline_s
        self._preload = preload
        self._size = workers
        self._queue_room = queue
        self._memory_bytes = memory_bytes
        self._context = multiprocessing.get_context("spawn")  # nothing of the server's threads or loop is copied
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._waiting = 0
        self._closed = False
        self.killed = 0  # workers killed at their deadline, for tests and metrics

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker, args=(child, self._memory_bytes, self._preload),
                                        daemon=True, name="signage-preview")
        process.start()
        child.close()
        if not parent.poll(STARTUP_S) or parent.recv() != (True, "ready"):  # a worker's start is not a job's time
            process.kill()
            raise RuntimeError(f"a preview worker did not start within {STARTUP_S} s")
        worker = _Worker(process, parent)
        self._workers.add(worker)
        return worker

    async def _ensure_started(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self._size):
                self._idle.put_nowait(await asyncio.to_thread(self._start_worker))
        return self._idle

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker; ``PreviewFailed`` with its message for a ``ValueError`` there,
        ``PreviewTimeout`` past the deadline, ``PreviewBusy`` when no worker is free in time."""
        if self._closed:
            raise PreviewBusy
        if self._waiting >= self._queue_room:
            raise PreviewBusy
        self._waiting += 1
        try:
            idle = await self._ensure_started()
            try:
                worker = await asyncio.wait_for(idle.get(), timeout=self.deadline_s * 2)
            except TimeoutError as exc:
                raise PreviewBusy from exc
        finally:
            self._waiting -= 1
        try:
            ok, value = await self._ask(worker, function, args)
        except TimeoutError as exc:
            await self._replace(worker)
            raise PreviewTimeout from exc
        except (EOFError, OSError) as exc:  # the worker died under the job (the system's memory killer…)
            await self._replace(worker)
            raise PreviewFailed("the preview stopped its worker (too much memory?) and was not made") from exc
        except BaseException:
            await self._replace(worker)
            raise
        idle.put_nowait(worker)
        if not ok:
            raise PreviewFailed(value)
        result: T = value
        return result

    async def _ask(self, worker: _Worker, function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()
        worker.connection.send((function, args))
        worker.jobs += 1
        descriptor = worker.connection.fileno()
        def ready() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(descriptor, ready)
        try:
            await asyncio.wait_for(readable, timeout=self.deadline_s)
        finally:
            loop.remove_reader(descriptor)
        answer: tuple[bool, Any] = await asyncio.to_thread(worker.connection.recv)
        return answer

    async def _replace(self, worker: _Worker) -> None:
        """Kill a worker that overran (or broke) and put a fresh one in its place."""
        self.killed += 1
        log.warning("a preview worker was stopped and replaced (deadline %.1f s)", self.deadline_s)
        worker.process.kill()
        await asyncio.to_thread(worker.process.join, 5)
        worker.connection.close()
        self._workers.discard(worker)
        if self._idle is not None and not self._closed:
            self._idle.put_nowait(await asyncio.to_thread(self._start_worker))

    async def close(self) -> None:
        """Stop every worker: idle ones are asked to, busy ones are killed."""
        self._closed = True
        idle = set()
        while self._idle is not None and not self._idle.empty():
            idle.add(self._idle.get_nowait())
        for worker in list(self._workers):
            if worker in idle:
                with contextlib.suppress(OSError):
                    worker.connection.send(None)
            else:
                worker.process.kill()
            await asyncio.to_thread(worker.process.join, 2)
            if worker.process.is_alive():
                worker.process.kill()
            worker.connection.close()
        self._workers.clear()
