"""Purging DLQ entries, honestly: Kafka cannot delete one record, only everything before an
offset of a partition.

So a purge does two things. Every purged entry gets a ``dlq.purge`` mark in its tenant's
audit log, next to the replay marks: ``dlq list`` and ``dlq replay`` skip marked entries from
then on. And where the entries at the head of a partition are all purged (this time or
before), the records before the first entry still wanted are deleted for real with
DeleteRecords — with no filter, that is the whole DLQ. Marks are written before anything is
deleted, so the audit log never misses a deletion. An entry with no tenant cannot be marked
(the audit log is per tenant): it goes only when it is at the head of its partition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition

from pipeline.kafka.admin import delete_before
from pipeline.ops.dlq import PURGED, DlqEntry, Marks
from tenancy.audit import Actor, record
from tenancy.db.scope import tenant_tx


def deletable_prefixes(entries: Iterable[DlqEntry], purgeable: frozenset[str]) -> dict[int, int]:
    """Per partition, the offset before which every entry is purgeable (partitions with none
    left out): the longest run of purgeable entries from the head of the partition."""
    by_partition: dict[int, list[DlqEntry]] = defaultdict(list)
    for entry in entries:
        by_partition[entry.partition].append(entry)
    cuts: dict[int, int] = {}
    for partition, found in by_partition.items():
        cut = None
        for entry in sorted(found, key=lambda e: e.offset):
            if entry.ref not in purgeable:
                break
            cut = entry.offset + 1
        if cut is not None:
            cuts[partition] = cut
    return cuts


@dataclass(frozen=True)
class PurgePlan:
    """What a purge will do, computed before the operator confirms it."""

    topic: str
    entries: tuple[DlqEntry, ...]
    cuts: dict[int, int]

    def deleted(self, entry: DlqEntry) -> bool:
        """Whether the entry leaves Kafka (it is before its partition's cut)."""
        return entry.offset < self.cuts.get(entry.partition, -1)

    @property
    def deleted_count(self) -> int:
        """How many of the entries leave Kafka for real."""
        return sum(self.deleted(e) for e in self.entries)

    def outcome(self, entry: DlqEntry) -> str:
        """What happens to one entry, in words."""
        if self.deleted(entry):
            return "purged: deleted from Kafka"
        if not entry.tenant_id:
            return "skipped: no tenant to mark it under, and not at the head of its partition"
        return "purged: hidden from list and replay (Kafka keeps it until retention)"


def plan_purge(
    topic: str, every: list[DlqEntry], selected: list[DlqEntry], marks: Marks
) -> PurgePlan:
    """Purge ``selected`` (entries purged before are left out) out of ``every`` entry read."""
    todo = tuple(e for e in selected if e.ref not in marks.purged)
    purgeable = marks.purged | {e.ref for e in todo}
    return PurgePlan(topic, todo, deletable_prefixes(every, purgeable))


async def execute_purge(
    servers: list[str], pool: asyncpg.Pool, plan: PurgePlan, actor: Actor
) -> list[tuple[DlqEntry, str]]:
    """Mark every entry in its tenant's audit log, then delete the deletable prefixes."""
    by_tenant: dict[str, list[DlqEntry]] = defaultdict(list)
    for entry in plan.entries:
        if entry.tenant_id:
            by_tenant[entry.tenant_id].append(entry)
    for tenant_id, entries in by_tenant.items():
        async with tenant_tx(pool, tenant_id) as conn:
            for entry in entries:
                await record(
                    conn,
                    actor,
                    tenant_id=tenant_id,
                    action=PURGED,
                    target=entry.ref,
                    details={"deleted_from_kafka": plan.deleted(entry)},
                )
    await delete_before(
        servers, {TopicPartition(plan.topic, p): offset for p, offset in plan.cuts.items()}
    )
    return [(entry, plan.outcome(entry)) for entry in plan.entries]
