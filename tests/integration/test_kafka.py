"""A real round trip through the local Kafka broker with the producer settings we rely on."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.settings import WagenSettings


async def test_round_trip_with_acks_all_and_idempotence(
    settings: WagenSettings, unique_name: str
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(unique_name, num_partitions=3, replication_factor=1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka.servers, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            sent = [(f"tenant-a:{i % 3}".encode(), f"message {i}".encode()) for i in range(30)]
            results = await asyncio.gather(
                *(producer.send_and_wait(unique_name, value, key=key) for key, value in sent)
            )
            assert all(meta.offset >= 0 for meta in results)
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            unique_name,
            bootstrap_servers=settings.kafka.servers,
            group_id=unique_name,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            received: list[tuple[bytes, bytes]] = []
            async with asyncio.timeout(30):
                while len(received) < len(sent):
                    batch = await consumer.getmany(timeout_ms=1000)
                    for records in batch.values():
                        received += [(r.key, r.value) for r in records]
        finally:
            await consumer.stop()

        assert sorted(received) == sorted(sent)
        # Same key, same partition: per-conversation order survives.
        for key in {k for k, _ in sent}:
            in_order = [v for k, v in received if k == key]
            assert in_order == [v for k, v in sent if k == key]
    finally:
        await admin.delete_topics([unique_name])
        await admin.close()
