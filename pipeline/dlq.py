"""Reading dead-letter topics and replaying their entries to where they came from.

A DLQ is a Kafka topic: entries are never deleted by a replay (Kafka is append-only), so
each replay is recorded in the tenant's audit log, and an entry already replayed is skipped
unless forced. Replaying is safe anyway: the pipeline's idempotency claims make a second
delivery of the same message a no-op.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

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


def matches(entry: DlqEntry, *, tenant: str | None, since_ms: int | None) -> bool:
    """Whether an entry passes the operator's filters."""
    if tenant is not None and entry.tenant_id != tenant:
        return False
    return since_ms is None or entry.dead_at_ms >= since_ms


async def read_topic(servers: list[str], topic: str) -> AsyncIterator[DlqEntry]:
    """Every record of ``topic`` from the beginning up to its end when the call started."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [p["partition"] for t in described for p in t["partitions"]]
    if not partitions:
        return
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(assigned)
        # Seek and settle the positions before asking for end offsets: asked first, aiokafka
        # lets its default reset ("latest") race the seek, and the read finds nothing.
        await consumer.seek_to_beginning(*assigned)
        for tp in assigned:
            await consumer.position(tp)
        ends: Mapping[TopicPartition, int] = await consumer.end_offsets(assigned)
        pending = {tp for tp in assigned if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield DlqEntry(
                            topic,
                            tp.partition,
                            record.offset,
                            record.key,
                            record.value or b"",
                            dict(record.headers),
                        )
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()


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
