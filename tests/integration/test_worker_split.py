"""A real ``wagen worker`` splits raw webhooks from ``wa.webhooks`` into ``wa.events``."""

from __future__ import annotations

import signal

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic
from pipeline.settings import WagenSettings
from schemas.events import WAGEN_EVENT
from tests.integration.kafka_tail import TopicTail
from tests.integration.wagen_process import start_group_at_end, wagen, wait_until_stable
from tests.unit.schemas.reference import META_SAMPLES

SAMPLE = "pywa__message__text.json"


async def test_worker_splits_webhooks_and_dead_letters_garbage(
    settings: WagenSettings, unique_name: str
) -> None:
    tenant = unique_name.replace("test-", "t")
    await start_group_at_end(settings.kafka.servers, unique_name)
    worker = wagen(
        "worker",
        env={"WAGEN_WORKER_APP_ID": unique_name, "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest"},
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    await producer.start()
    try:
        await wait_until_stable(admin, unique_name, worker)
        headers = [("tenant_id", tenant.encode()), ("received_at_ms", b"1700000000000")]
        async with (
            TopicTail(settings, WA_EVENTS) as events,
            TopicTail(settings, dlq_topic(WA_WEBHOOKS)) as dead,
        ):
            body = (META_SAMPLES / SAMPLE).read_bytes()
            await producer.send_and_wait(WA_WEBHOOKS, body, key=tenant.encode(), headers=headers)
            await producer.send_and_wait(
                WA_WEBHOOKS, b"{not json", key=tenant.encode(), headers=headers
            )
            [(value, event_headers)] = await events.records_for(
                f"{tenant}:".encode(), 1, prefix=True, rounds=80
            )
            [(dead_value, dead_headers)] = await dead.records_for(tenant.encode(), 1, rounds=40)

        event = WAGEN_EVENT.validate_json(value)
        assert (event.tenant_id, event.kind) == (tenant, "message")
        assert event_headers["event_id"] == str(event.event_id).encode()
        assert dead_value == b"{not json"
        assert dead_headers["dlq_error_code"] == b"meta_payload_invalid"

        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        await producer.stop()
        ours = [t for t in await admin.list_topics() if t.startswith(unique_name)]
        if ours:
            await admin.delete_topics(ours)
        await admin.close()
