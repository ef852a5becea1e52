"""The gateway's producer on the real broker: durable publish, and a clear error without it."""

from __future__ import annotations

import time

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.kafka.client import KafkaUnavailableError
from pipeline.kafka.producer import EventProducer
from pipeline.kafka.topics import WA_WEBHOOKS
from pipeline.settings import KafkaSettings, WagenSettings
from tests.conftest import free_port


async def test_publish_stores_key_value_and_headers(
    settings: WagenSettings, unique_name: str
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    await admin.create_topics([NewTopic(unique_name, 1, 1)])
    producer = EventProducer(settings.kafka, publish_timeout_s=10, max_request_bytes=1 << 20)
    try:
        await producer.publish(unique_name, b"acme", b"{}", [("received_at", b"123")])
        consumer = AIOKafkaConsumer(
            unique_name, bootstrap_servers=settings.kafka.servers, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            record = await consumer.getone()
        finally:
            await consumer.stop()
        assert (record.key, record.value) == (b"acme", b"{}")
        assert list(record.headers) == [("received_at", b"123")]
    finally:
        await producer.stop()
        await admin.delete_topics([unique_name])
        await admin.close()


async def test_no_broker_is_a_bounded_clear_error() -> None:
    dead = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}", request_timeout_ms=1000)
    producer = EventProducer(dead, publish_timeout_s=1.5, max_request_bytes=1 << 20)
    started = time.monotonic()
    try:
        with pytest.raises(KafkaUnavailableError, match="could not store record"):
            await producer.publish(WA_WEBHOOKS, b"acme", b"{}")
    finally:
        await producer.stop()
    assert time.monotonic() - started < 5


async def test_use_after_stop_is_refused(settings: WagenSettings) -> None:
    producer = EventProducer(settings.kafka, publish_timeout_s=1, max_request_bytes=1 << 20)
    await producer.stop()
    with pytest.raises(RuntimeError, match="after stop"):
        await producer.publish(WA_WEBHOOKS, b"k", b"v")
