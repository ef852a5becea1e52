"""Reading what lands on a shared topic during one test, and nothing from before it."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.settings import WagenSettings


class TopicTail:
    """Reads what lands on a topic after the moment it was created."""

    def __init__(self, settings: WagenSettings, topic: str) -> None:
        self._topic = topic
        self._servers = settings.kafka.servers

    async def __aenter__(self) -> TopicTail:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._servers)
        await admin.start()
        try:
            [described] = await admin.describe_topics([self._topic])
        finally:
            await admin.close()
        partitions = [p["partition"] for p in described["partitions"]]
        if not partitions:
            pytest.fail(f"topic {self._topic} missing: run `wagen topics ensure`")
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._servers, enable_auto_commit=False)
        await self._consumer.start()
        assigned = [TopicPartition(self._topic, p) for p in partitions]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:  # resolve the end offsets now, before anything is published
            await self._consumer.position(tp)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def records_for(
        self, key: bytes, expected: int, *, prefix: bool = False, rounds: int = 20
    ) -> list[tuple[bytes, dict[str, bytes]]]:
        """Records with ``key`` (or keys starting with it), once ``expected`` have arrived."""
        found: list[tuple[bytes, dict[str, bytes]]] = []
        for _ in range(rounds):
            batch = await self._consumer.getmany(timeout_ms=250)
            for records in batch.values():
                found += [
                    (r.value, dict(r.headers))
                    for r in records
                    if r.key == key or (prefix and r.key is not None and r.key.startswith(key))
                ]
            if len(found) >= expected:
                break
        return found
