"""PostgreSQL stopped and started again while a worker carries a stream of messages.

Every message in flight when the database goes away fails on its claim or its bookkeeping
and goes to the retry topic; the worker itself keeps running (its pool reconnects) and,
once the database is back, delivers each message exactly once, in conversation order,
with nothing in the DLQ. Each conversation's first message is delivered before the outage:
a first message in doubt (its Genesys conversation not known yet) would be resent, a known
limit (README, "Messages in doubt").
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

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
async def test_a_postgres_restart_under_load_delivers_every_message_once(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    first, second = await tenants.create("pa"), await tenants.create("pb")
    await workers.start(unique_name, FAST_RECOVERY)
    warm = messages(first, 3, 1, tag="w") + messages(second, 3, 1, tag="w")
    load = messages(first, 3, 20, tag="l", start=1) + messages(second, 3, 20, tag="l", start=1)
    sent = warm + load
    watched = (dlq_topic(WA_EVENTS), retry_topic(WA_EVENTS))
    async with tails(tenancy_settings, *watched) as (dlq, retries):
        await publish_all(producer, warm)
        await wait_for_some(genesys, warm, len(warm))
        await publish_all(producer, load)
        await wait_for_some(genesys, sent, len(warm) + len(load) // 5)
        async with service_stopped("postgres"):
            await asyncio.sleep(3)  # the stream keeps coming and meets no database
        result = await wait_for_all(genesys, sent, timeout_s=120)
        await wait_caught_up(
            tenancy_settings.kafka.servers,
            unique_name,
            [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)],
            timeout_s=60,
        )
        dead = await tenant_records(dlq, [first, second])
        retried = await tenant_records(retries, [first, second], rounds=2)
    assert result.missing == []
    assert (result.distinct, result.total, result.doubled) == (len(sent), len(sent), [])
    assert result.out_of_order == {}
    assert dead == []
    # The outage was met: messages in flight went through the retry topic.
    assert retried, "no message met the outage: it came too late"
    for process, _ in workers.processes:
        assert process.poll() is None, "the worker died with its database"
