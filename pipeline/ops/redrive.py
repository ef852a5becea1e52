"""Re-driving a tenant's raw webhooks: publishing them again to the topic they came in on.

After an incident (a bug that dropped messages, a Genesys outage past the DLQ), the raw
topics still hold every webhook as received, for their retention. Publishing a tenant's
records of a time window again sends them through the whole pipeline once more; the
idempotency claims downstream drop every message that was already delivered, so only what
was lost goes out. Copies made by an earlier re-drive of the same topic are skipped (their
originals are in the window too), so re-driving twice does not double the traffic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import TopicPartition

from pipeline.kafka.admin import offset_bounds, offsets_at, plain_consumer, topic_partitions
from pipeline.kafka.read import KafkaRecord, Range, read_ranges
from pipeline.ops.tail import TopicMissingError

REPLAYED_FROM = "replayed_from"

Publish = Callable[[str, bytes | None, bytes | None, list[tuple[str, bytes]]], Awaitable[None]]


@dataclass(frozen=True)
class RedriveResult:
    """What a re-drive read, kept and published."""

    topic: str
    tenant_id: str
    since_ms: int
    until_ms: int | None
    scanned: int
    matched: int
    copies_skipped: int
    published: int
    dry_run: bool

    def as_json(self) -> dict[str, Any]:
        """The JSON line and the audit details."""
        return asdict(self)


def is_copy(record: KafkaRecord) -> bool:
    """Whether the record was published by an earlier re-drive of its own topic."""
    origin = record.header_map.get(REPLAYED_FROM, b"").decode(errors="replace")
    return origin.startswith(f"{record.topic}:")


def redrive_headers(record: KafkaRecord) -> list[tuple[str, bytes]]:
    """The original headers (tenant, request id, receive time) plus where the copy is from."""
    kept = [(k, v) for k, v in record.headers if k != REPLAYED_FROM]
    return [*kept, (REPLAYED_FROM, record.ref.encode())]


async def redrive(
    servers: list[str],
    topic: str,
    tenant: str,
    *,
    since_ms: int,
    until_ms: int | None,
    publish: Publish | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RedriveResult:
    """Publish ``tenant``'s records of ``topic`` timestamped in [since, until) again.

    ``publish`` None is a dry run: count only. The window's end is fixed before the first
    record is published, so the copies are never read back. ``on_progress(total, done)``
    reports records read out of the window's size.
    """
    partitions = await topic_partitions(servers, [topic])
    if not partitions:
        raise TopicMissingError(f"topic {topic} does not exist (run `wagen topics ensure`)")
    scanned = matched = copies = published = 0
    async with plain_consumer(servers) as consumer:
        _, ends = await offset_bounds(consumer, partitions)
        starts = await offsets_at(consumer, partitions, since_ms, ends)
        stops = ends if until_ms is None else await offsets_at(consumer, partitions, until_ms, ends)
        ranges: dict[TopicPartition, Range] = {tp: (starts[tp], stops[tp]) for tp in partitions}
        total = sum(max(0, stops[tp] - starts[tp]) for tp in partitions)
        async for record in read_ranges(consumer, ranges):
            scanned += 1
            if record.tenant_id == tenant:
                if is_copy(record):
                    copies += 1
                else:
                    matched += 1
                    if publish is not None:
                        await publish(topic, record.key, record.value, redrive_headers(record))
                        published += 1
            if on_progress is not None:
                on_progress(total, scanned)
    return RedriveResult(
        topic, tenant, since_ms, until_ms, scanned, matched, copies, published, publish is None
    )
