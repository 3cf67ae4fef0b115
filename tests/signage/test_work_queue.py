"""The push job queue: each job to one worker, and the jobs of a worker that died taken over by another."""

from __future__ import annotations

import asyncio

from signage.work_queue import MemoryWorkQueue, RedisWorkQueue


async def test_two_workers_share_the_jobs_and_each_job_goes_to_one(redis_url: str, redis_prefix: str) -> None:
    queue = RedisWorkQueue(redis_url, redis_prefix, reclaim_after_s=30)
    try:
        for n in range(10):
            await queue.put({"n": n})
        taken: dict[str, list[int]] = {"a": [], "b": []}
        for _ in range(5):
            for worker in ("a", "b"):
                job = await queue.take(worker, timeout_s=0.5)
                assert job is not None
                taken[worker].append(job.data["n"])
                await queue.done(job)
        assert sorted(taken["a"] + taken["b"]) == list(range(10))
        assert len(taken["a"]) == len(taken["b"]) == 5
        assert await queue.take("a", timeout_s=0.1) is None
        assert await queue.pending() == 0
    finally:
        await queue.close()


async def test_a_dead_workers_job_is_taken_over(redis_url: str, redis_prefix: str) -> None:
    queue = RedisWorkQueue(redis_url, redis_prefix, reclaim_after_s=0.3)
    try:
        await queue.put({"kind": "batch", "ids": ["x"]})
        job = await queue.take("doomed", timeout_s=0.5)
        assert job is not None and job.attempts == 1
        # "doomed" dies here: it never acknowledges.
        assert await queue.take("survivor", timeout_s=0.1) is None  # not yet: it may only be slow
        await asyncio.sleep(0.4)
        again = await queue.take("survivor", timeout_s=0.1)
        assert again is not None and again.data == {"kind": "batch", "ids": ["x"]} and again.attempts == 2
        await queue.done(again)
        await asyncio.sleep(0.4)
        assert await queue.take("survivor", timeout_s=0.1) is None  # done means done
    finally:
        await queue.close()


async def test_the_in_process_queue_hands_out_jobs_in_order() -> None:
    queue = MemoryWorkQueue()
    await queue.put({"n": 1})
    await queue.put({"n": 2})
    first, second = await queue.take("w"), await queue.take("w")
    assert first is not None and second is not None and (first.data["n"], second.data["n"]) == (1, 2)
    assert await queue.take("w", timeout_s=0.05) is None
