"""Redis flushed (FLUSHALL) while a stream flows, and every message then arrives again.

Redis holds only shortcuts: the "already delivered" marks, the conversation lines, rate
buckets. With all of it gone mid-stream, and each message redelivered afterwards (as a
replay or a rebalance would), the delivery claims in PostgreSQL still let each message
through exactly once, in conversation order.
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import Genesys, Tenants, Workers, wait_caught_up
from tests.integration.faults.harness import (
    FAST_RECOVERY,
    messages,
    publish_all,
    tails,
    tenant_records,
    wait_for_all,
    wait_for_some,
)

pytestmark = pytest.mark.faults


@pytest.mark.timeout(180)
async def test_flushing_redis_mid_stream_never_doubles_a_message(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    redis: Redis,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    first, second = await tenants.create("ra"), await tenants.create("rb")
    await workers.start(unique_name, FAST_RECOVERY)
    sent = messages(first, 3, 15, tag="r") + messages(second, 3, 15, tag="r")
    servers = tenancy_settings.kafka.servers
    topics = [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)]
    async with tails(tenancy_settings, dlq_topic(WA_EVENTS)) as (dlq,):
        await publish_all(producer, sent)
        await wait_for_some(genesys, sent, len(sent) // 3)
        await redis.flushall()  # mid-stream
        delivered = await wait_for_all(genesys, sent, timeout_s=60, settle_s=0)
        assert delivered.missing == []
        await wait_caught_up(servers, unique_name, topics, timeout_s=60)

        await redis.flushall()  # every "done" mark gone: only PostgreSQL knows
        await publish_all(producer, sent)  # each message once more
        await wait_caught_up(servers, unique_name, topics, timeout_s=60)
        dead = await tenant_records(dlq, [first, second])
    result = await wait_for_all(genesys, sent, timeout_s=5)
    assert (result.distinct, result.total, result.doubled) == (len(sent), len(sent), [])
    assert result.out_of_order == {}
    assert dead == []
