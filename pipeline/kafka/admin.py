"""Live facts about topics, read from the cluster: partitions, leaders, configs, offsets, size.

The operator commands ask the broker rather than trust ``pipeline/topics.py``: what they
show is what is really there (a hand-edited retention, a topic someone deleted). Clients
are opened per call and closed in ``finally``: these are one-shot CLI reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.kafka.log_dirs import partition_sizes

_CONFIGS = ("retention.ms", "cleanup.policy", "min.insync.replicas")
_UNKNOWN_TOPIC = 3  # Kafka protocol error code UNKNOWN_TOPIC_OR_PARTITION

Offsets = dict[TopicPartition, int]


@asynccontextmanager
async def admin_client(servers: list[str]) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed on exit."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, client_id="wagen-cli-admin")
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def plain_consumer(servers: list[str]) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer with no group (nothing committed, nobody rebalanced), for reading."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers,
        client_id="wagen-cli-reader",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def describe_partitions(
    admin: AIOKafkaAdminClient, topics: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Partition metadata (leader, replicas, isr) of each topic that exists, by partition."""
    described = await admin.describe_topics(list(topics))
    return {
        t["topic"]: sorted(t["partitions"], key=lambda p: p["partition"])
        for t in described
        if t["error_code"] != _UNKNOWN_TOPIC
    }


async def topic_partitions(servers: list[str], topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` that exist (missing topics contribute none)."""
    async with admin_client(servers) as admin:
        described = await describe_partitions(admin, topics)
    return [TopicPartition(t, p["partition"]) for t, parts in described.items() for p in parts]


async def offset_bounds(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
) -> tuple[Offsets, Offsets]:
    """(earliest, end) offsets of each partition; end is the offset the next record gets."""
    if not partitions:
        return {}, {}
    earliest: Offsets = await consumer.beginning_offsets(partitions)
    ends: Offsets = await consumer.end_offsets(partitions)
    return dict(earliest), dict(ends)


async def offsets_at(
    consumer: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    at_ms: int,
    ends: Mapping[TopicPartition, int],
) -> Offsets:
    """The first offset of each partition whose record is timestamped at or after ``at_ms``.

    A partition with no such record yields its end offset (nothing to read from there).
    """
    if not partitions:
        return {}
    found = await consumer.offsets_for_times({tp: at_ms for tp in partitions})
    return {tp: ends[tp] if found.get(tp) is None else found[tp].offset for tp in partitions}


@dataclass(frozen=True)
class PartitionFacts:
    """One partition as the cluster sees it."""

    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    earliest: int
    end: int
    size_bytes: int | None

    def as_json(self) -> dict[str, Any]:
        """The ``describe`` row."""
        return {
            "partition": self.partition,
            "leader": self.leader,
            "replicas": list(self.replicas),
            "isr": list(self.isr),
            "earliest_offset": self.earliest,
            "end_offset": self.end,
            "records": self.end - self.earliest,
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class TopicFacts:
    """One topic as the cluster sees it (``exists`` False: declared but not on the broker)."""

    name: str
    exists: bool
    partitions: tuple[PartitionFacts, ...]
    configs: Mapping[str, str]

    @property
    def replication_factor(self) -> int:
        """Replicas per partition (the largest, should they differ)."""
        return max((len(p.replicas) for p in self.partitions), default=0)

    def summary(self) -> dict[str, Any]:
        """The ``list`` row: totals over partitions."""
        sizes = [p.size_bytes for p in self.partitions]
        retention = self.configs.get("retention.ms")
        return {
            "name": self.name,
            "exists": self.exists,
            "partitions": len(self.partitions),
            "replication_factor": self.replication_factor,
            "retention_ms": int(retention)
            if retention and retention.lstrip("-").isdigit()
            else None,
            "cleanup_policy": self.configs.get("cleanup.policy"),
            "min_insync_replicas": int(isr)
            if (isr := self.configs.get("min.insync.replicas")) and isr.isdigit()
            else None,
            "size_bytes": None if None in sizes else sum(s or 0 for s in sizes),
            "end_offset_sum": sum(p.end for p in self.partitions),
            "records": sum(p.end - p.earliest for p in self.partitions),
        }


async def _configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    if not names:
        return {}
    wanted = {key: None for key in _CONFIGS}
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, dict(wanted)) for name in names]
    )
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            found[resource["resource_name"]] = {
                e["config_names"]: e["config_value"] for e in resource["config_entries"]
            }
    return found


async def topic_facts(servers: list[str], names: list[str]) -> list[TopicFacts]:
    """Live facts of ``names``, in that order; missing topics come back with ``exists`` False."""
    async with admin_client(servers) as admin:
        described = await describe_partitions(admin, names)
        configs = await _configs(admin, [n for n in names if n in described])
    partitions = [TopicPartition(t, p["partition"]) for t, ps in described.items() for p in ps]
    async with plain_consumer(servers) as consumer:
        earliest, ends = await offset_bounds(consumer, partitions)
    wanted = {t: [p["partition"] for p in ps] for t, ps in described.items()}
    sizes = await partition_sizes(servers, wanted) if wanted else {}
    facts: list[TopicFacts] = []
    for name in names:
        rows = tuple(
            PartitionFacts(
                partition=p["partition"],
                leader=p["leader"],
                replicas=tuple(p["replicas"]),
                isr=tuple(p["isr"]),
                earliest=earliest[TopicPartition(name, p["partition"])],
                end=ends[TopicPartition(name, p["partition"])],
                size_bytes=sizes.get((name, p["partition"])),
            )
            for p in described.get(name, [])
        )
        facts.append(TopicFacts(name, name in described, rows, configs.get(name, {})))
    return facts


async def delete_before(servers: list[str], offsets: Mapping[TopicPartition, int]) -> Offsets:
    """Delete every record before ``offsets`` (Kafka's only deletion); the new earliest offsets."""
    if not offsets:
        return {}
    async with admin_client(servers) as admin:
        done: Offsets = await admin.delete_records(
            {tp: RecordsToDelete(before_offset=offset) for tp, offset in offsets.items()}
        )
    return dict(done)
