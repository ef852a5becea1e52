"""The keyed scheduler: per-key order, concurrency across keys, in-order acks, bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from pipeline.worker.scheduler import KeyedScheduler


class Gates:
    """Work that finishes when the test opens its gate; records starts and acks."""

    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.started: list[str] = []
        self.acked: list[str] = []

    def work(self, name: str) -> Callable[[], Awaitable[None]]:
        gate = self.gates[name] = asyncio.Event()

        async def run() -> None:
            self.started.append(name)
            await gate.wait()

        return run

    def ack(self, name: str) -> Callable[[], None]:
        return lambda: self.acked.append(name)

    async def submit(self, scheduler: KeyedScheduler, partition: int, key: str, name: str) -> None:
        await scheduler.submit(partition, key, self.work(name), self.ack(name))

    def open(self, name: str) -> None:
        self.gates[name].set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_other_keys_go_past_a_blocked_key_but_acks_wait_for_it() -> None:
    scheduler, g = KeyedScheduler(max_in_flight=10), Gates()
    await g.submit(scheduler, 0, "slow-tenant:x", "a1")
    await g.submit(scheduler, 0, "other:y", "b1")
    await g.submit(scheduler, 0, "other:z", "b2")
    await settle()
    assert g.started == ["a1", "b1", "b2"]  # no head-of-line blocking across keys
    g.open("b1")
    g.open("b2")
    await settle()
    # b1 and b2 are done, but a1 is earlier in the partition: nothing may be committed yet.
    assert g.acked == []
    assert scheduler.in_flight == 3
    g.open("a1")
    await settle()
    assert g.acked == ["a1", "b1", "b2"]
    assert scheduler.in_flight == 0
    assert scheduler.running_keys == 0


async def test_records_of_one_key_run_one_after_the_other_in_order() -> None:
    scheduler, g = KeyedScheduler(max_in_flight=10), Gates()
    for n in range(3):
        await g.submit(scheduler, 0, "conv", f"m{n}")
    await settle()
    assert g.started == ["m0"]
    g.open("m0")
    await settle()
    assert g.started == ["m0", "m1"]
    assert g.acked == ["m0"]
    g.open("m1")
    g.open("m2")
    await scheduler.wait_idle()
    assert g.started == ["m0", "m1", "m2"]
    assert g.acked == ["m0", "m1", "m2"]


async def test_partitions_ack_independently() -> None:
    scheduler, g = KeyedScheduler(max_in_flight=10), Gates()
    await g.submit(scheduler, 0, "k0", "p0")
    await g.submit(scheduler, 1, "k1", "p1")
    await settle()
    g.open("p1")
    await settle()
    assert g.acked == ["p1"]  # partition 1 does not wait for partition 0


async def test_the_reader_waits_while_too_much_is_unfinished() -> None:
    scheduler, g = KeyedScheduler(max_in_flight=2, max_unacked=10), Gates()
    await g.submit(scheduler, 0, "a", "r1")
    await g.submit(scheduler, 0, "b", "r2")
    third = asyncio.create_task(g.submit(scheduler, 0, "c", "r3"))
    await settle()
    assert not third.done()
    g.open("r2")  # done: no longer work in progress, though not acked (r1 is earlier)
    await settle()
    assert third.done()
    assert (scheduler.pending, scheduler.in_flight) == (2, 3)
    assert g.started == ["r1", "r2", "r3"]


async def test_finished_records_pinned_behind_a_slow_one_are_bounded_too() -> None:
    scheduler, g = KeyedScheduler(max_in_flight=2, max_unacked=3), Gates()
    await g.submit(scheduler, 0, "slow", "s")
    for name in ("f1", "f2"):
        await g.submit(scheduler, 0, name, name)
        g.open(name)
    await settle()
    blocked = asyncio.create_task(g.submit(scheduler, 0, "f3", "f3"))
    await settle()
    assert not blocked.done()  # two done, one slow: three unacked, the most allowed
    g.open("s")
    await settle()
    assert blocked.done()
    assert g.acked == ["s", "f1", "f2"]


async def test_a_failed_record_stops_its_key_is_never_acked_and_stops_the_reader() -> None:
    failures: list[BaseException] = []
    scheduler, g = KeyedScheduler(10, on_failure=failures.append), Gates()

    async def boom() -> None:
        raise RuntimeError("publish failed")

    await scheduler.submit(0, "conv", boom, g.ack("bad"))
    await g.submit(scheduler, 0, "conv", "after")
    await settle()
    assert g.started == []  # the conversation's later record does not overtake
    assert g.acked == []
    assert [str(f) for f in failures] == ["publish failed"]  # told at once, not when next read
    with pytest.raises(RuntimeError, match="publish failed"):
        await g.submit(scheduler, 0, "other", "x")
    with pytest.raises(RuntimeError, match="publish failed"):
        await scheduler.wait_idle()
    await scheduler.close()


async def test_close_cancels_work_without_acking() -> None:
    scheduler, g = KeyedScheduler(max_in_flight=10), Gates()
    await g.submit(scheduler, 0, "a", "r1")
    await settle()
    await scheduler.close()
    assert g.acked == []
    assert scheduler.in_flight == 0


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        KeyedScheduler(max_in_flight=0)
