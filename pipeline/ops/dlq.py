"""Reading dead-letter topics and replaying their entries to where they came from.

A DLQ is a Kafka topic: entries are never deleted by a replay (Kafka is append-only), so
each replay is recorded in the tenant's audit log, and an entry already replayed is skipped
unless forced. Replaying is safe anyway: the pipeline's idempotency claims make a second
delivery of the same message a no-op. A purge is recorded the same way (see
``pipeline.ops.dlq_purge``): the audit log is where an entry's marks live, and ``Marks`` reads
them back for listing and replaying.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaProducer, TopicPartition

from pipeline.kafka.admin import offset_bounds, plain_consumer, topic_partitions
from pipeline.kafka.read import Range, read_ranges
from tenancy.db.scope import platform_tx

# Headers describing a failure or a retry: a replay starts with a clean slate.
_FAILURE_PREFIXES = ("dlq_", "held_")
_RETRY_HEADERS = frozenset({"attempt", "not_before_ms", "retry_history", "last_error_code"})


@dataclass(frozen=True)
class DlqEntry:
    """One dead-lettered record and why it is there."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes] = field(repr=False)

    @property
    def ref(self) -> str:
        """``topic:partition:offset``, the entry's stable name."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def tenant_id(self) -> str:
        """The tenant the record belongs to ('' when unknown)."""
        return self.headers.get("tenant_id", b"").decode()

    @property
    def source_topic(self) -> str:
        """Where the record was being processed when it failed."""
        return self.headers.get("dlq_source_topic", b"").decode()

    @property
    def dead_at_ms(self) -> int:
        """When it was dead-lettered (0 when unknown)."""
        raw = self.headers.get("dlq_at_ms", b"")
        return int(raw) if raw.isdigit() else 0

    def summary(self) -> dict[str, object]:
        """The listing view: no body, just the facts."""
        return {
            "ref": self.ref,
            "tenant_id": self.tenant_id,
            "source_topic": self.source_topic,
            "error_code": self.headers.get("dlq_error_code", b"").decode(),
            "error": self.headers.get("dlq_error", b"").decode(),
            "attempts": self.headers.get("dlq_attempts", b"").decode() or None,
            "dead_at_ms": self.dead_at_ms,
            "bytes": len(self.value),
        }

    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The original headers, minus every failure and retry mark."""
        return [
            (k, v)
            for k, v in self.headers.items()
            if not k.startswith(_FAILURE_PREFIXES) and k not in _RETRY_HEADERS
        ] + [("replayed_from", self.ref.encode())]


REPLAYED = "dlq.replay"
PURGED = "dlq.purge"


def matches(
    entry: DlqEntry,
    *,
    tenant: str | None,
    since_ms: int | None,
    refs: Sequence[str] = (),
) -> bool:
    """Whether an entry passes the operator's filters (``refs`` empty: any entry)."""
    if tenant is not None and entry.tenant_id != tenant:
        return False
    if refs and entry.ref not in refs:
        return False
    return since_ms is None or entry.dead_at_ms >= since_ms


@dataclass(frozen=True)
class Marks:
    """What the audit log says was done to DLQ entries: replays (counted) and purges."""

    replays: Counter[str] = field(default_factory=Counter)
    purged: frozenset[str] = frozenset()

    def status(self, entry: DlqEntry) -> str:
        """``purged``, ``replayed`` or ``dead`` (still waiting for a human)."""
        if entry.ref in self.purged:
            return "purged"
        return "replayed" if self.replays[entry.ref] else "dead"


async def read_marks(pool: asyncpg.Pool, entries: Iterable[DlqEntry]) -> Marks:
    """The replay and purge marks of ``entries``, each under the entry's own tenant.

    One platform-scoped query for the whole listing: entries of many tenants are read at
    once, and a mark counts only when it was written under the entry's tenant.
    """
    tenant_of = {e.ref: e.tenant_id for e in entries if e.tenant_id}
    if not tenant_of:
        return Marks()
    async with platform_tx(pool) as conn:
        rows = await conn.fetch(
            "SELECT tenant_id, target, action FROM audit_log "
            "WHERE tenant_id = ANY($1::text[]) AND action = ANY($2::text[]) "
            "AND target = ANY($3::text[])",
            sorted(set(tenant_of.values())),
            [REPLAYED, PURGED],
            list(tenant_of),
        )
    replays: Counter[str] = Counter()
    purged: set[str] = set()
    for row in rows:
        if tenant_of.get(row["target"]) != row["tenant_id"]:
            continue
        if row["action"] == PURGED:
            purged.add(row["target"])
        else:
            replays[row["target"]] += 1
    return Marks(replays, frozenset(purged))


def parse_ref(ref: str) -> tuple[str, int, int]:
    """``topic:partition:offset`` as its parts.

    Raises:
        ValueError: the ref is not of that shape.
    """
    topic, _, rest = ref.rpartition(":")
    topic, _, partition = topic.rpartition(":")
    if not topic or not partition.isdigit() or not rest.isdigit():
        raise ValueError(f"{ref!r} is not topic:partition:offset")
    return topic, int(partition), int(rest)


async def read_topic(
    servers: list[str], topic: str, refs: Sequence[str] = ()
) -> AsyncIterator[DlqEntry]:
    """Every record of ``topic`` from the beginning up to its end when the call started.

    With ``refs``, only those entries: each partition is read from the first named offset
    to the last, not from the beginning (refs of other topics name nothing here).
    """
    partitions = await topic_partitions(servers, [topic])
    wanted: dict[int, set[int]] = {}
    for ref in refs:
        ref_topic, partition, offset = parse_ref(ref)
        if ref_topic == topic:
            wanted.setdefault(partition, set()).add(offset)
    if refs:
        partitions = [tp for tp in partitions if tp.partition in wanted]
    async with plain_consumer(servers) as consumer:
        earliest, ends = await offset_bounds(consumer, partitions)
        ranges: dict[TopicPartition, Range] = {tp: (earliest[tp], ends[tp]) for tp in partitions}
        if refs:
            # Clamped to the end: a range past it would wait for records that never come.
            ranges = {
                tp: (min(wanted[tp.partition]), min(max(wanted[tp.partition]) + 1, ends[tp]))
                for tp in partitions
            }
        async for r in read_ranges(consumer, ranges):
            if not refs or r.offset in wanted[r.partition]:
                yield DlqEntry(topic, r.partition, r.offset, r.key, r.value or b"", r.header_map)


async def replay(producer: AIOKafkaProducer, entry: DlqEntry) -> None:
    """Publish the entry back to its source topic, with a fresh attempt count."""
    if not entry.source_topic:
        raise ValueError(f"{entry.ref} names no source topic (dlq_source_topic header)")
    await producer.send_and_wait(
        entry.source_topic, entry.value, key=entry.key, headers=entry.replay_headers()
    )


def now_ms() -> int:
    """Wall-clock milliseconds, as the DLQ headers record them."""
    return time.time_ns() // 1_000_000
