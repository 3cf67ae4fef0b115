"""One contract for every work queue backend, the in-process one and Redis (a real server): each job to one
worker, acknowledged when done, handed again when its worker took it and went silent, data a detached copy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from signage.work_queue import WorkQueue, open_work_queue

RECLAIM_S = 0.3


@pytest.fixture
async def make_queue(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], WorkQueue]]:
    """Queues on the chosen backend: on Redis each one a process of its own, sharing the jobs."""
    made: list[WorkQueue] = []
    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else "signage:"
    shared: WorkQueue | None = None

    def make() -> WorkQueue:
        nonlocal shared
        if url is None:  # one process: every worker takes from the one queue
            shared = shared or open_work_queue(None, reclaim_after_s=RECLAIM_S)
            return shared
        queue = open_work_queue(url, prefix, reclaim_after_s=RECLAIM_S)
        made.append(queue)
        return queue

    yield make
    for queue in {id(q): q for q in [*made, *([shared] if shared else [])]}.values():
        await queue.close()


async def test_each_job_goes_to_one_worker_and_done_means_done(make_queue: Callable[[], WorkQueue]) -> None:
    here, there = make_queue(), make_queue()
    for n in range(10):
        await here.put({"n": n})
    assert await here.pending() == 10
    taken: dict[str, list[int]] = {"a": [], "b": []}
    for _ in range(5):
        for worker, queue in (("a", here), ("b", there)):
            job = await queue.take(worker, timeout_s=1)
            assert job is not None and job.attempts == 1
            taken[worker].append(job.data["n"])
            await queue.done(job)
    assert sorted(taken["a"] + taken["b"]) == list(range(10))
    assert taken["a"] == sorted(taken["a"])  # in the order they were put
    assert await here.take("a", timeout_s=0.1) is None
    assert await here.pending() == 0


async def test_a_silent_workers_job_goes_to_another_after_the_reclaim_time(
        make_queue: Callable[[], WorkQueue]) -> None:
    queue, survivor_queue = make_queue(), make_queue()
    await queue.put({"kind": "batch", "ids": ["x"]})
    job = await queue.take("doomed", timeout_s=1)
    assert job is not None and job.attempts == 1
    # "doomed" dies here: it never acknowledges. Until the reclaim time it may only be slow.
    assert await survivor_queue.take("survivor", timeout_s=0.05) is None
    assert await queue.pending() == 1  # handed out, not acknowledged: still owed
    await asyncio.sleep(RECLAIM_S + 0.1)
    again = await survivor_queue.take("survivor", timeout_s=0.1)
    assert again is not None and again.id == job.id and again.attempts == 2
    assert again.data == {"kind": "batch", "ids": ["x"]}
    await survivor_queue.done(again)
    await asyncio.sleep(RECLAIM_S + 0.1)
    assert await survivor_queue.take("survivor", timeout_s=0.1) is None  # done means done
    assert await queue.pending() == 0


async def test_a_waiting_worker_gets_a_job_put_while_it_waits(make_queue: Callable[[], WorkQueue]) -> None:
    queue = make_queue()
    waiting = asyncio.create_task(queue.take("w", timeout_s=5))
    await asyncio.sleep(0)  # the worker is asking: whatever is put now reaches it well before its timeout
    await make_queue().put({"n": 1})
    job = await asyncio.wait_for(waiting, 5)
    assert job is not None and job.data == {"n": 1}


async def test_a_jobs_data_is_a_detached_json_copy(make_queue: Callable[[], WorkQueue]) -> None:
    queue = make_queue()
    texts = {"fr": "Darcy"}
    await queue.put({"ids": ("a", "b"), "texts": texts})
    texts["fr"] = "changed after put"
    job = await queue.take("w", timeout_s=1)
    assert job is not None and job.data == {"ids": ["a", "b"], "texts": {"fr": "Darcy"}}


def test_whether_other_processes_take_the_jobs_is_a_capability(backend: str, make_queue: Callable[[], WorkQueue]
                                                              ) -> None:
    assert make_queue().shared is (backend == "redis")


async def test_a_job_put_again_under_its_key_is_not_queued_twice(make_queue: Callable[[], WorkQueue]) -> None:
    """A push decision made again (a restarted engine, a second one) is sent once: the key keeps it out."""
    here, there = make_queue(), make_queue()
    assert await here.put({"n": 1}, key="alert:a|alerts/dijon|v1") is True
    assert await there.put({"n": 1}, key="alert:a|alerts/dijon|v1") is False
    assert await there.put({"n": 2}, key="alert:a|alerts/dijon|v2") is True
    assert await here.put({"n": 3}) is True  # no key: always queued
    taken = [await here.take("w", timeout_s=1) for _ in range(3)]
    assert sorted(job.data["n"] for job in taken if job is not None) == [1, 2, 3]
    assert await here.take("w", timeout_s=0.2) is None


async def test_a_key_keeps_the_job_out_only_for_its_time(make_queue: Callable[[], WorkQueue]) -> None:
    queue = make_queue()
    assert await queue.put({"n": 1}, key="k", keep_s=0.2)
    await asyncio.sleep(0.3)  # the time under test
    assert await queue.put({"n": 1}, key="k", keep_s=0.2)
