"""Tasks in step with the configuration: only what an edit touches is started, stopped or restarted."""

from __future__ import annotations

import asyncio

from signage.keyed_tasks import KeyedTasks, Reconciled


async def test_an_edit_starts_stops_and_restarts_only_what_it_touches() -> None:
    runs: list[tuple[str, str]] = []
    cancelled: list[tuple[str, str]] = []

    async def run(key: str, spec: str) -> None:
        runs.append((key, spec))
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append((key, spec))
            raise

    tasks: KeyedTasks[str] = KeyedTasks("feeds", run)
    assert await tasks.reconcile({"a": "1", "b": "1"}) == Reconciled(started=("a", "b"))
    await asyncio.sleep(0)
    done = await tasks.reconcile({"a": "1", "b": "2", "c": "1"})
    assert done == Reconciled(started=("c",), restarted=("b",), kept=("a",))
    await asyncio.sleep(0)
    assert cancelled == [("b", "1")] and runs.count(("a", "1")) == 1 and ("b", "2") in runs
    assert await tasks.reconcile({"c": "1"}) == Reconciled(stopped=("a", "b"), kept=("c",))
    assert sorted(cancelled) == [("a", "1"), ("b", "1"), ("b", "2")]
    await tasks.close()
    assert ("c", "1") in cancelled and tasks.keys == ()
