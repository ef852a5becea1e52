"""Group commit: concurrent operations of one kind travel to a store as one flush.

The worker carries hundreds of messages at once (one task per conversation), and each needs
the same few store operations — a claim, a charge, the record of a delivery. Sent one by one
they cost a round trip each, and most of the database's work is the per-transaction fixed
price. A :class:`GroupCommit` takes them as they come: a caller awaits :meth:`submit`, the
operation joins the current batch, and a flush runs the whole batch as one set-based
statement (or one Redis script) when ``max_size`` operations wait or ``max_wait_s`` after the
batch's first one. While a flush runs, the next batch gathers, so batches grow with the
load by themselves and a lone operation waits at most ``max_wait_s``.

A flush answers every operation of its batch: with a result, or with an exception for that
operation alone (a refusal); a flush that fails as a whole fails every operation in it, and
each caller routes its own failure (retry, DLQ) as before. Nothing is retried here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

OpT = TypeVar("OpT")
ResultT = TypeVar("ResultT")

Flush = Callable[[Sequence[OpT]], Awaitable[Sequence[ResultT | BaseException]]]
"""Runs a batch; one result (or exception) per operation, in the batch's order."""


@dataclass
class GroupCommitStats:
    """What the flushes did, for metrics and the bench."""

    flushes: int = 0
    operations: int = 0
    largest: int = 0

    @property
    def mean_size(self) -> float:
        """Operations per flush, on average."""
        return self.operations / self.flushes if self.flushes else 0.0


@dataclass
class _Batch(Generic[OpT, ResultT]):
    ops: list[OpT] = field(default_factory=list)
    waiters: list[asyncio.Future[ResultT]] = field(default_factory=list)


class GroupCommit(Generic[OpT, ResultT]):
    """Coalesces operations into batches and runs each batch with ``flush``.

    Args:
        flush: runs one batch (see :data:`Flush`).
        max_size: a batch is flushed at once when it holds this many operations.
        max_wait_s: how long the first operation of a batch waits for company.
        name: for the flusher task's name and error messages.
    """

    def __init__(
        self,
        flush: Flush[OpT, ResultT],
        *,
        max_size: int = 256,
        max_wait_s: float = 0.002,
        name: str = "group-commit",
    ) -> None:
        if max_size < 1 or max_wait_s < 0:
            raise ValueError("a group commit needs max_size >= 1 and max_wait_s >= 0")
        self._flush = flush
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._name = name
        self._batch: _Batch[OpT, ResultT] = _Batch()
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.stats = GroupCommitStats()

    async def submit(self, op: OpT) -> ResultT:
        """Run ``op`` in the next flush; its result, or its exception raised here."""
        if self._closed:
            raise RuntimeError(f"{self._name} is closed")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)
        waiter: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._batch.ops.append(op)
        self._batch.waiters.append(waiter)
        self._wake.set()
        if len(self._batch.ops) >= self._max_size:
            self._full.set()
        return await waiter

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if not self._batch.ops:
                if self._closed:
                    return
                self._wake.clear()
                continue
            full = len(self._batch.ops) >= self._max_size
            if not (full or self._closed) and self._max_wait_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._max_wait_s)
            batch = self._take()
            if not self._closed and not self._batch.ops:
                self._wake.clear()
            if len(self._batch.ops) < self._max_size:
                self._full.clear()
            await self._run_batch(batch)

    def _take(self) -> _Batch[OpT, ResultT]:
        """The next batch: at most ``max_size`` of the waiting operations, oldest first."""
        waiting, size = self._batch, self._max_size
        if len(waiting.ops) <= size:
            self._batch = _Batch()
            return waiting
        self._batch = _Batch(waiting.ops[size:], waiting.waiters[size:])
        return _Batch(waiting.ops[:size], waiting.waiters[:size])

    async def _run_batch(self, batch: _Batch[OpT, ResultT]) -> None:
        stats = self.stats
        stats.flushes += 1
        stats.operations += len(batch.ops)
        stats.largest = max(stats.largest, len(batch.ops))
        try:
            results = await self._flush(batch.ops)
            if len(results) != len(batch.ops):
                raise RuntimeError(
                    f"{self._name}: a flush of {len(batch.ops)} answered {len(results)}"
                )
        except asyncio.CancelledError:
            for waiter in batch.waiters:
                waiter.cancel()
            raise
        except Exception as exc:  # every caller gets the failure and routes it
            for waiter in batch.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter, result in zip(batch.waiters, results, strict=True):
            if waiter.done():
                continue  # its caller was cancelled meanwhile
            if isinstance(result, BaseException):
                waiter.set_exception(result)
            else:
                waiter.set_result(result)

    async def close(self) -> None:
        """Flush what waits (without waiting for company), then stop; later submissions
        fail."""
        self._closed = True
        self._wake.set()
        self._full.set()
        if self._task is not None:
            await self._task
        while self._batch.ops:
            await self._run_batch(self._take())
