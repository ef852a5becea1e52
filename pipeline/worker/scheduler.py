"""Keyed concurrency within a partition, with offsets acknowledged strictly in order.

A Kafka partition carries many conversations of many tenants. Handling its records one at
a time means one slow tenant (a slow Genesys, a tenant waiting for its rate budget) delays
every conversation that hashes to the same partition: head-of-line blocking. The
:class:`KeyedScheduler` instead runs records concurrently by *key* (the conversation):

* records of one key run one after the other, in the order submitted (offset order);
* records of different keys run concurrently, whatever their partition;
* a record is acknowledged only when it *and every earlier record of its partition* are
  done, so the committed offset never passes a record still in flight — a crash or a
  rebalance replays from the oldest unfinished record (the delivery claims make the
  replay harmless), and never skips one;
* at most ``max_in_flight`` records are unfinished (running or waiting for their key), and
  at most ``max_unacked`` are not yet acknowledged (unfinished, or done but behind an
  unfinished record of their partition); the reader waits for room beyond either. The two
  bounds differ because a record waiting a long time (a paced tenant's) pins every later
  record of its partition until it is done: those are finished and cheap to keep, and
  must not stop the reader the way unfinished work should.

Acknowledging in order is ours to do, not Faust's: Faust commits the first run of
consecutive acked offsets, but its gap check is loose (with the record at the committed
position unacked and the next one acked, it commits past the unacked one), so we never
ack out of order. The acknowledgement is a plain call, made without awaiting in between,
so two records finishing together cannot ack out of order either.

Pure asyncio: the Faust glue is :mod:`pipeline.worker.keyed_agent`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

Work = Callable[[], Awaitable[None]]


@dataclass
class _Slot:
    """One submitted record's place in its partition's line."""

    ack: Callable[[], object]
    done: bool = False


class KeyedScheduler:
    """Runs submitted work by key, acknowledging each partition's records in order.

    Args:
        max_in_flight: unfinished records held before :meth:`submit` waits for room.
        max_unacked: unacknowledged records held before :meth:`submit` waits for room.
        on_failure: told at once when work raises (the agent crashes the worker with it).
    """

    def __init__(
        self,
        max_in_flight: int,
        max_unacked: int | None = None,
        on_failure: Callable[[BaseException], object] | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._on_failure = on_failure
        self._capacity = max_in_flight
        self._ack_capacity = max(max_in_flight, max_unacked or max_in_flight)
        self._pending = 0
        self._in_flight = 0
        self._room = asyncio.Event()
        self._lines: dict[Hashable, deque[_Slot]] = {}
        self._queues: dict[Hashable, deque[tuple[Hashable, _Slot, Work]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None

    @property
    def in_flight(self) -> int:
        """Records submitted and not yet acknowledged."""
        return self._in_flight

    @property
    def pending(self) -> int:
        """Records submitted and not yet done."""
        return self._pending

    @property
    def running_keys(self) -> int:
        """Keys with work queued or running."""
        return len(self._queues)

    async def submit(
        self, partition: Hashable, key: Hashable, work: Work, ack: Callable[[], object]
    ) -> None:
        """Queue ``work`` behind earlier work of ``key``; ``ack`` runs once it is safe.

        Returns as soon as the work is queued (after waiting for room when full). Raises
        the failure of earlier work, if any work raised: the reader must stop, because the
        failed record is neither done nor acknowledged and its key cannot go on.
        """
        self._check()
        while self._pending >= self._capacity or self._in_flight >= self._ack_capacity:
            self._room.clear()
            await self._room.wait()
            self._check()
        self._pending += 1
        self._in_flight += 1
        slot = _Slot(ack)
        self._lines.setdefault(partition, deque()).append(slot)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            task = asyncio.create_task(self._drain(key, queue), name=f"keyed:{key!r}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.append((partition, slot, work))

    async def _drain(self, key: Hashable, queue: deque[tuple[Hashable, _Slot, Work]]) -> None:
        while queue:
            partition, slot, work = queue[0]
            try:
                await work()
            except Exception as exc:
                # The key stops here: a later record of the conversation must not overtake
                # this one, and this one must not be acknowledged. The work logs its own
                # failure, inside the record's log context (pipeline.worker.keyed_agent).
                self._failure = self._failure or exc
                self._room.set()
                if self._on_failure is not None:
                    self._on_failure(exc)
                return
            queue.popleft()
            slot.done = True
            self._pending -= 1
            self._settle(partition)
        # No await since the loop's last check: nothing was queued in between.
        del self._queues[key]

    def _settle(self, partition: Hashable) -> None:
        line = self._lines[partition]
        while line and line[0].done:
            line.popleft().ack()
            self._in_flight -= 1
        if not line:
            del self._lines[partition]
        self._room.set()

    def _check(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def wait_idle(self) -> None:
        """Wait until every submitted record is acknowledged (raises a work failure)."""
        while self._in_flight:
            self._check()
            self._room.clear()
            await self._room.wait()
        self._check()

    async def close(self) -> None:
        """Cancel all work; unacknowledged records are replayed by the next consumer."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()
        self._lines.clear()
        self._pending = self._in_flight = 0
