"""The Kafka broker stopped and started again while a worker carries a stream (the worker's
side; the gateway's is ``test_kafka_outage.py``).

Messages published before the outage and after it all reach Genesys exactly once, each
conversation in order, nothing in the DLQ. The worker is not restarted by the test: it
rides the outage out by itself (its consumer and producer reconnect; what it had not
committed is read again, and the delivery claims turn the replays into no-ops).
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import Genesys, Tenants, Workers, wait_caught_up
from tests.integration.faults.harness import (
    FAST_RECOVERY,
    messages,
    publish_all,
    service_stopped,
    tails,
    tenant_records,
    wait_for_all,
    wait_for_some,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@pytest.mark.timeout(240)
async def test_a_broker_restart_under_load_delivers_every_message_once(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    first, second = await tenants.create("ka"), await tenants.create("kb")
    worker = await workers.start(unique_name, FAST_RECOVERY)
    before = messages(first, 2, 15, tag="b") + messages(second, 2, 15, tag="b")
    after = messages(first, 2, 10, tag="a", start=15) + messages(second, 2, 10, tag="a", start=15)
    sent = before + after
    async with tails(tenancy_settings, dlq_topic(WA_EVENTS)) as (dlq,):
        await publish_all(producer, before)
        await wait_for_some(genesys, before, len(before) // 3)
        async with service_stopped("kafka"):
            await asyncio.sleep(2)
        async with asyncio.timeout(60):  # the test's own producer reconnects too
            while True:
                try:
                    await publish_all(producer, after)
                    break
                except KafkaError:  # a send while the broker is still coming back: again (the
                    # claims make a message published twice count once)
                    await asyncio.sleep(1)
        result = await wait_for_all(genesys, sent, timeout_s=120)
        await wait_caught_up(
            tenancy_settings.kafka.servers,
            unique_name,
            [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)],
            timeout_s=90,
        )
        dead = await tenant_records(dlq, [first, second])
    assert worker.poll() is None, "the worker did not survive the broker restart"
    assert result.missing == []
    assert (result.distinct, result.total, result.doubled) == (len(sent), len(sent), [])
    assert result.out_of_order == {}
    assert dead == []
