"""Reading ranges of offsets off Kafka, and which tenant a record belongs to.

Every operator read (tail, DLQ listing, re-drive, per-tenant lag) is "these partitions, from
this offset, up to that one (or on and on)": one reader serves them all. Ranges are fixed
before reading starts, so a command that publishes to the topic it reads (a re-drive) never
reads its own output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from aiokafka import AIOKafkaConsumer, TopicPartition

# (first offset to read, offset to stop before; None: keep following new records)
Range = tuple[int, int | None]


def tenant_of(key: bytes | None, headers: Mapping[str, bytes]) -> str:
    """The tenant a record belongs to ('' when it says nothing).

    The ``tenant_id`` header is authoritative (the gateway sets it on every record, and the
    worker copies it onto every record it derives). Without one, the key tells: raw topics
    are keyed by ``tenant_id``, normalized ones by ``tenant_id:wa_id``.
    """
    if "tenant_id" in headers:
        return headers["tenant_id"].decode(errors="replace")
    if not key:
        return ""
    return key.split(b":", 1)[0].decode(errors="replace")


@dataclass(frozen=True)
class KafkaRecord:
    """One record as read, with where it was."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def ref(self) -> str:
        """``topic:partition:offset``, the record's stable name."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @cached_property
    def header_map(self) -> dict[str, bytes]:
        """Headers by name (the last one wins, as for every wagen reader)."""
        return dict(self.headers)

    @property
    def tenant_id(self) -> str:
        """The tenant the record belongs to ('' when unknown)."""
        return tenant_of(self.key, self.header_map)


async def read_ranges(
    consumer: AIOKafkaConsumer, ranges: Mapping[TopicPartition, Range], *, poll_ms: int = 500
) -> AsyncIterator[KafkaRecord]:
    """Records of each partition in its range, in offset order per partition.

    Bounded ranges end when every partition has reached its stop offset; a range without
    one is followed until the caller stops iterating (or is cancelled). A start before the
    log start (retention deleted it) reads from the log start.
    """
    active = {tp: r for tp, r in ranges.items() if r[1] is None or r[0] < r[1]}
    if not active:
        return
    consumer.assign(list(active))
    for tp, (start, _) in active.items():
        consumer.seek(tp, start)
    for tp in active:  # settle positions before the first fetch
        await consumer.position(tp)
    pending = set(active)
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=poll_ms)
        for tp, records in batch.items():
            stop = active[tp][1]
            for r in records:
                if stop is None or r.offset < stop:
                    yield KafkaRecord(
                        tp.topic,
                        tp.partition,
                        r.offset,
                        r.timestamp,
                        r.key,
                        r.value,
                        tuple(r.headers),
                    )
        pending = {
            tp
            for tp in pending
            if (stop := active[tp][1]) is None or await consumer.position(tp) < stop
        }
