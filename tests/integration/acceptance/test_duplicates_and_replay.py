"""Duplicates are normal traffic: the same webhook three times is one Genesys message, and a
second consumer group replaying ``wa.webhooks`` from this test's start posts nothing new.
"""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import (
    Genesys,
    Tenants,
    Workers,
    end_offsets,
    publish,
    text_webhook,
    wait_caught_up,
)

CUSTOMERS = ("15550000001", "15550000002", "15550000003")


async def test_a_webhook_delivered_three_times_and_a_replayed_topic_post_once(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    servers = tenancy_settings.kafka.servers
    tenant = await tenants.create("dup")
    start = await end_offsets(servers, [WA_WEBHOOKS])  # where this test's webhooks begin
    first = await workers.start(f"{unique_name}-live")

    wamids = [f"wamid.dup-{n}-{uuid.uuid4().hex}" for n in range(len(CUSTOMERS))]
    bodies = {
        wamid: text_webhook(tenant, customer, wamid, f"#{n}")
        for n, (wamid, customer) in enumerate(zip(wamids, CUSTOMERS, strict=True))
    }
    for _ in range(3):  # Meta's retries: every webhook three times, interleaved
        for body in bodies.values():
            await publish(producer, tenant.tenant_id, body)

    await genesys.wait_delivered(len(bodies), timeout_s=10)
    await wait_caught_up(
        servers, f"{unique_name}-live", [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)]
    )
    delivered = genesys.delivered()
    assert sorted(c.message_id or "" for c in delivered) == sorted(bodies)
    workers.stop(first)

    # Replay: a new group reads wa.webhooks from where this test began (wa.events from now).
    replay = f"{unique_name}-replay"
    await workers.start(replay, offsets=start)
    await wait_caught_up(servers, replay, [WA_WEBHOOKS])
    # The split republished every event; wait until the forward agent has handled them all.
    await wait_caught_up(servers, replay, [WA_EVENTS, retry_topic(WA_EVENTS)])

    assert genesys.delivered() == delivered
    assert [c.status for c in genesys.calls] == [200] * len(bodies)
