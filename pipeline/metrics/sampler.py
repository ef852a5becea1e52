"""Consumer lag and DLQ sizes, read from Kafka every few seconds, never on the hot path.

Both need broker round trips (committed offsets of the group, end and earliest offsets of
the partitions), so a background task of the worker samples them every
``WAGEN_WORKER_METRICS_SAMPLE_INTERVAL_S`` and sets gauges; a scrape just reads them.

Every worker samples the whole group and every DLQ topic, so the gauges are the same on each
worker: aggregate them with ``max``, not ``sum``. A failed sample keeps the previous values
and leaves ``wagen_kafka_sample_timestamp_seconds`` behind, so staleness is visible.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mode
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from pipeline.metrics import registry as m
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)

Offsets = Mapping[TopicPartition, int]


def consumer_lag(committed: Offsets, ends: Offsets) -> dict[tuple[str, int], int]:
    """Records not yet committed, per (topic, partition) the group has committed on."""
    return {
        (tp.topic, tp.partition): max(0, ends[tp] - offset)
        for tp, offset in committed.items()
        if offset >= 0 and tp in ends
    }


def topic_sizes(earliest: Offsets, ends: Offsets) -> dict[str, int]:
    """Records held per topic: end minus earliest offset, summed over its partitions."""
    sizes: dict[str, int] = {}
    for tp, end in ends.items():
        sizes[tp.topic] = sizes.get(tp.topic, 0) + max(0, end - earliest.get(tp, 0))
    return sizes


@dataclass(frozen=True)
class Sample:
    """One reading of a group's lag and the DLQ sizes."""

    group: str
    lag: dict[tuple[str, int], int]
    dlq: dict[str, int]


def publish(sample: Sample) -> None:
    """Set the gauges to ``sample`` (partitions no longer reported disappear)."""
    # No await between clear and set: a scrape cannot see the gauges half written.
    m.CONSUMER_LAG.clear()
    for (topic, partition), lag in sample.lag.items():
        m.CONSUMER_LAG.labels(sample.group, topic, str(partition)).set(lag)
    m.DLQ_RECORDS.clear()
    for topic, size in sample.dlq.items():
        m.DLQ_RECORDS.labels(topic).set(size)
    m.KAFKA_SAMPLED_AT.labels(sample.group).set(time.time())


class KafkaSampler(mode.Service):
    """Samples the worker group's lag and the DLQ sizes into gauges, periodically.

    Args:
        kafka: where the brokers are.
        group: the worker's consumer group (its app id).
        dlq_topics: the dead-letter topics to size.
        interval_s: seconds between samples.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        group: str,
        dlq_topics: Sequence[str],
        interval_s: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kafka = kafka
        self._group = group
        self._dlq_topics = list(dlq_topics)
        self._interval_s = interval_s
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        # Opened on first sample, so a worker starts even while Kafka is still coming up.
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._kafka.servers,
                client_id=f"{self._kafka.client_id}-metrics",
                request_timeout_ms=self._kafka.request_timeout_ms,
            )
            await admin.start()
            self._admin = admin
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._kafka.servers,
                client_id=f"{self._kafka.client_id}-metrics",
                enable_auto_commit=False,
                request_timeout_ms=self._kafka.request_timeout_ms,
            )
            await consumer.start()
            self._consumer = consumer
        return self._admin, self._consumer

    async def read(self) -> Sample:
        """One sample from the brokers."""
        admin, consumer = await self._clients()
        committed = {
            tp: meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(self._group)).items()
        }
        described = await admin.describe_topics(self._dlq_topics) if self._dlq_topics else []
        dlq = [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if not t.get("error_code")
            for p in t["partitions"]
        ]
        wanted = sorted({*committed, *dlq})
        ends: Offsets = await consumer.end_offsets(wanted) if wanted else {}
        earliest: Offsets = await consumer.beginning_offsets(dlq) if dlq else {}
        sizes = topic_sizes(earliest, {tp: ends[tp] for tp in dlq if tp in ends})
        return Sample(self._group, lag=consumer_lag(committed, ends), dlq=sizes)

    async def sample_once(self) -> bool:
        """Read and publish one sample; False (logged, gauges kept) when Kafka failed."""
        try:
            async with asyncio.timeout(self._kafka.request_timeout_ms / 1000 * 2):
                sample = await self.read()
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("kafka metrics sample failed: %s", type(exc).__name__)
            await self._close()
            return False
        publish(sample)
        return True

    @mode.Service.task
    async def _sample_periodically(self) -> None:
        while not self.should_stop:
            await self.sample_once()
            await self.sleep(self._interval_s)

    async def _close(self) -> None:
        admin, self._admin = self._admin, None
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def on_stop(self) -> None:
        """Close the Kafka clients."""
        await self._close()
