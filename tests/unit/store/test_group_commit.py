"""Group commit: batches form by themselves, every caller gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from pipeline.store.group_commit import GroupCommit


class Recorder:
    """A flush that doubles numbers, refuses negatives, and remembers its batches."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.delay_s = delay_s

    async def __call__(self, ops: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(ops))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return [ValueError(f"negative {op}") if op < 0 else op * 2 for op in ops]


async def test_concurrent_operations_share_one_flush() -> None:
    flush = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(flush, max_wait_s=0.01)
    results = await asyncio.gather(*(commit.submit(n) for n in range(50)))
    assert results == [n * 2 for n in range(50)]
    assert flush.batches == [list(range(50))]
    assert commit.stats.mean_size == 50
    await commit.close()


async def test_a_full_batch_goes_at_once_and_the_next_gathers_meanwhile() -> None:
    flush = Recorder(delay_s=0.02)
    commit: GroupCommit[int, int] = GroupCommit(flush, max_size=10, max_wait_s=0.05)
    results = await asyncio.wait_for(asyncio.gather(*(commit.submit(n) for n in range(25))), 2)
    assert results == [n * 2 for n in range(25)]
    assert [len(batch) for batch in flush.batches] == [10, 10, 5]
    await commit.close()


async def test_a_lone_operation_waits_at_most_max_wait() -> None:
    commit: GroupCommit[int, int] = GroupCommit(Recorder(), max_wait_s=0.005)
    assert await asyncio.wait_for(commit.submit(21), timeout=1) == 42
    await commit.close()


async def test_a_refusal_reaches_its_caller_only() -> None:
    commit: GroupCommit[int, int] = GroupCommit(Recorder(), max_wait_s=0.01)
    good, bad = await asyncio.gather(commit.submit(1), commit.submit(-1), return_exceptions=True)
    assert good == 2
    assert isinstance(bad, ValueError)
    await commit.close()


async def test_a_failed_flush_fails_every_operation_of_its_batch_and_the_next_goes_on() -> None:
    calls = 0

    async def flaky(ops: Sequence[int]) -> Sequence[int | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database gone")
        return [*ops]

    commit: GroupCommit[int, int] = GroupCommit(flaky, max_wait_s=0.01)
    first = await asyncio.gather(commit.submit(1), commit.submit(2), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in first)
    assert await commit.submit(3) == 3
    await commit.close()


async def test_a_flush_answering_the_wrong_count_is_an_error_for_all() -> None:
    async def short(ops: Sequence[int]) -> Sequence[int | BaseException]:
        return [*ops][:-1]

    commit: GroupCommit[int, int] = GroupCommit(short, max_wait_s=0.01)
    results = await asyncio.gather(commit.submit(1), commit.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    await commit.close()


async def test_close_flushes_what_waits_and_refuses_more() -> None:
    flush = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(flush, max_wait_s=10.0)
    waiting = asyncio.create_task(commit.submit(5))
    await asyncio.sleep(0)
    await asyncio.wait_for(commit.close(), timeout=1)
    assert await waiting == 10
    with pytest.raises(RuntimeError):
        await commit.submit(6)


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    commit: GroupCommit[int, int] = GroupCommit(Recorder(delay_s=0.01), max_wait_s=0.01)
    kept = asyncio.create_task(commit.submit(1))
    dropped = asyncio.create_task(commit.submit(2))
    await asyncio.sleep(0)
    dropped.cancel()
    assert await kept == 2
    await commit.close()
