"""Pipeline health for the console: the worker group's lag per topic, DLQ and held sizes, and
records per topic over the last hour, read from Kafka and kept for a few seconds.

Throughput comes from Kafka itself, not from a metric that would have to be collected: the
offset a partition had at each five-minute mark (``ListOffsets`` by time) minus the one at the
mark before is the number of records written in between. Several pages refreshing at once
share one reading (single flight), and a reading is reused for :data:`CACHE_S`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.errors import KafkaError

from pipeline.kafka.admin import offset_bounds, offsets_at, plain_consumer, topic_partitions
from pipeline.kafka.topics import GENESYS_WEBHOOKS, TOPICS, WA_EVENTS, WA_WEBHOOKS
from pipeline.ops.lag import GroupNotFoundError, measure_lag
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)

CACHE_S = 10.0
BUCKET_S = 300
BUCKETS = 12
FLOW_TOPICS = (WA_WEBHOOKS, WA_EVENTS, GENESYS_WEBHOOKS)
_READ_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class TopicFlow:
    """Records written to one topic per five minutes over the last hour, oldest first."""

    topic: str
    buckets: tuple[int, ...]

    @property
    def total(self) -> int:
        """Records in the hour."""
        return sum(self.buckets)


@dataclass(frozen=True)
class PipelineHealth:
    """One reading.

    Attributes:
        at: when it was read.
        group: the worker's consumer group.
        lag: records the group has not committed, per topic it committed on (empty with
            ``lag_note`` set when it has committed nothing yet).
        dlq: records kept on each DLQ topic; ``held`` the same for the held topics.
        flow: throughput of the main topics.
        error: why Kafka could not be read (everything else is then empty).
    """

    at: datetime
    group: str
    lag: dict[str, int]
    lag_note: str | None
    dlq: dict[str, int]
    held: dict[str, int]
    flow: tuple[TopicFlow, ...]
    error: str | None = None


def bucket_counts(marks: list[int], end: int) -> list[int]:
    """Records between consecutive marks, the last bucket running to ``end`` (pure)."""
    bounds = [*marks, end]
    return [max(0, later - earlier) for earlier, later in itertools.pairwise(bounds)]


async def _sizes(servers: list[str], topics: list[str]) -> dict[str, int]:
    partitions = await topic_partitions(servers, topics)
    async with plain_consumer(servers) as consumer:
        earliest, ends = await offset_bounds(consumer, partitions)
    sizes = dict.fromkeys(topics, 0)
    for tp, end in ends.items():
        sizes[tp.topic] += max(0, end - earliest.get(tp, 0))
    return sizes


async def _flow(servers: list[str], now_ms: int) -> tuple[TopicFlow, ...]:
    partitions = await topic_partitions(servers, FLOW_TOPICS)
    starts = [now_ms - (BUCKETS - k) * BUCKET_S * 1000 for k in range(BUCKETS)]
    async with plain_consumer(servers) as consumer:
        _, ends = await offset_bounds(consumer, partitions)
        marks = [await offsets_at(consumer, partitions, at, ends) for at in starts]
    flows = []
    for topic in FLOW_TOPICS:
        mine = [tp for tp in partitions if tp.topic == topic]
        counts = [0] * BUCKETS
        for tp in mine:
            for k, n in enumerate(bucket_counts([m[tp] for m in marks], ends[tp])):
                counts[k] += n
        flows.append(TopicFlow(topic, tuple(counts)))
    return tuple(flows)


async def read_health(kafka: KafkaSettings, group: str) -> PipelineHealth:
    """Read everything from the brokers now."""
    servers, now = kafka.servers, datetime.now(UTC)
    names = frozenset(t.name for t in TOPICS)
    lag: dict[str, int] = {}
    note = None
    try:
        async with asyncio.timeout(_READ_TIMEOUT_S):
            try:
                [found] = await measure_lag(servers, names, groups=[group])
                for row in found.partitions:
                    lag[row.topic] = lag.get(row.topic, 0) + row.lag
            except GroupNotFoundError:
                note = f"The worker group {group!r} has committed no offset yet"
            dlq = await _sizes(servers, sorted(n for n in names if n.endswith(".dlq")))
            held = await _sizes(servers, sorted(n for n in names if n.endswith(".held")))
            flow = await _flow(servers, int(time.time() * 1000))
    except (KafkaError, OSError, TimeoutError) as exc:
        log.warning("pipeline health not read: %s", type(exc).__name__)
        return PipelineHealth(
            now, group, {}, None, {}, {}, (), f"Kafka unavailable ({type(exc).__name__})"
        )
    return PipelineHealth(now, group, lag, note, dlq, held, flow)


class HealthCache:
    """The newest reading, refreshed at most every :data:`CACHE_S` seconds."""

    def __init__(self, kafka: KafkaSettings, group: str) -> None:
        self._kafka = kafka
        self._group = group
        self._lock = asyncio.Lock()
        self._reading: tuple[float, PipelineHealth] | None = None

    async def get(self) -> PipelineHealth:
        """A reading at most :data:`CACHE_S` old."""
        async with self._lock:
            if self._reading is None or time.monotonic() - self._reading[0] > CACHE_S:
                self._reading = (time.monotonic(), await read_health(self._kafka, self._group))
            return self._reading[1]
