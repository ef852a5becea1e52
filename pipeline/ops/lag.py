"""Consumer lag on wagen's topics: how far each group's committed offsets trail the ends.

Lag of a partition is ``end - committed``: the records the group has not finished yet.
Per tenant, there is no such arithmetic (a partition carries many tenants), so the
uncommitted range of each partition is read once and the tenant's records in it counted:
the cost is reading the backlog itself, small when lag is small, and it is shared by every
group that trails on the same partition.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.errors import PipelineError
from pipeline.kafka.admin import Offsets, admin_client, offset_bounds, plain_consumer
from pipeline.kafka.read import Range, read_ranges


class GroupNotFoundError(PipelineError):
    """A consumer group asked for by name has committed nothing on wagen's topics."""

    code = "group_not_found"


@dataclass(frozen=True)
class PartitionLag:
    """One partition of one group."""

    topic: str
    partition: int
    committed: int
    end: int
    lag: int

    def as_json(self) -> dict[str, Any]:
        """The JSON row."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "committed": self.committed,
            "end": self.end,
            "lag": self.lag,
        }


@dataclass(frozen=True)
class GroupLag:
    """A group's lag, partition by partition (``tenant`` set: counted over its records)."""

    group: str
    tenant: str | None
    partitions: tuple[PartitionLag, ...]

    @property
    def total(self) -> int:
        """The sum over partitions."""
        return sum(p.lag for p in self.partitions)

    def as_json(self) -> dict[str, Any]:
        """One JSON line per group."""
        return {
            "group": self.group,
            "tenant": self.tenant,
            "total": self.total,
            "partitions": [p.as_json() for p in self.partitions],
        }


def group_lag(
    group: str,
    committed: Mapping[TopicPartition, int],
    ends: Mapping[TopicPartition, int],
    *,
    tenant: str | None = None,
    tenant_offsets: Mapping[TopicPartition, list[int]] | None = None,
) -> GroupLag:
    """Lag of each partition ``group`` committed on, in topic and partition order.

    A committed offset past the end (the end was read a moment earlier) counts as no lag.
    With ``tenant_offsets`` (sorted offsets of the tenant's records from the earliest
    committed offset to the end), a partition's lag is how many of them are not committed.
    """
    rows = []
    for tp in sorted(committed, key=lambda t: (t.topic, t.partition)):
        done, end = committed[tp], ends[tp]
        if tenant_offsets is None:
            lag = max(0, end - done)
        else:
            offsets = tenant_offsets.get(tp, [])
            lag = len(offsets) - bisect.bisect_left(offsets, done)
        rows.append(PartitionLag(tp.topic, tp.partition, done, end, lag))
    return GroupLag(group, tenant, tuple(rows))


def scan_ranges(
    committed_by_group: Iterable[Mapping[TopicPartition, int]], ends: Mapping[TopicPartition, int]
) -> dict[TopicPartition, Range]:
    """The one range per partition that covers every group's backlog on it."""
    ranges: dict[TopicPartition, Range] = {}
    for committed in committed_by_group:
        for tp, done in committed.items():
            start = min(done, ranges[tp][0]) if tp in ranges else done
            ranges[tp] = (start, ends[tp])
    return ranges


async def committed_offsets(
    admin: AIOKafkaAdminClient, topics: frozenset[str], groups: list[str] | None
) -> dict[str, Offsets]:
    """Committed offsets on ``topics`` of ``groups`` (None: every group that has any)."""
    names = groups
    if names is None:
        names = sorted({g[0] for g in await admin.list_consumer_groups()})
    # A cluster may hold hundreds of groups: ask several at a time, not all at once.
    gate = asyncio.Semaphore(16)

    async def ours(group: str) -> Offsets:
        async with gate:
            offsets = await admin.list_consumer_group_offsets(group)
        return {
            tp: meta.offset
            for tp, meta in offsets.items()
            if tp.topic in topics and meta.offset >= 0
        }

    answers = await asyncio.gather(*(ours(g) for g in names))
    found = {group: offsets for group, offsets in zip(names, answers, strict=True) if offsets}
    missing = [g for g in groups or [] if g not in found]
    if missing:
        raise GroupNotFoundError(
            f"consumer group {', '.join(missing)} has committed no offset on wagen's topics"
        )
    return found


async def measure_lag(
    servers: list[str],
    topics: frozenset[str],
    *,
    groups: list[str] | None = None,
    tenant: str | None = None,
    on_scan: Callable[[int, int], None] | None = None,
) -> list[GroupLag]:
    """Lag of each group; with ``tenant``, counted over that tenant's records only.

    ``on_scan(total, done)`` reports progress of the per-tenant scan (records read so far
    out of the backlog to read).
    """
    async with admin_client(servers) as admin:
        committed = await committed_offsets(admin, topics, groups)
    partitions = sorted({tp for c in committed.values() for tp in c})
    async with plain_consumer(servers) as consumer:
        _, ends = await offset_bounds(consumer, partitions)
        tenant_offsets: dict[TopicPartition, list[int]] | None = None
        if tenant is not None:
            ranges = scan_ranges(committed.values(), ends)
            total = sum(max(0, (stop or start) - start) for start, stop in ranges.values())
            tenant_offsets = {tp: [] for tp in ranges}
            done = 0
            async for record in read_ranges(consumer, ranges):
                if record.tenant_id == tenant:
                    tenant_offsets[TopicPartition(record.topic, record.partition)].append(
                        record.offset
                    )
                done += 1
                if on_scan is not None:
                    on_scan(total, done)
    return [
        group_lag(group, offsets, ends, tenant=tenant, tenant_offsets=tenant_offsets)
        for group, offsets in committed.items()
    ]
