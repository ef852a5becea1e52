"""``make run`` after ``make test`` starts clean: the suite writes to no topic, consumer group
or key a default worker reads.

A conversation both ways runs through real gateway and worker processes as every connected
test runs them; then the topics ``make run`` uses (the declared names without the suite's
prefix) hold no record of it (or still do not exist, on a machine where ``make run`` never
ran), its group committed only on the suite's topics, and its Redis keys all carry the test's
prefix. Other processes may use the developer's topics meanwhile: only this test's tenant is
looked for.
"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from redis.asyncio import Redis

from connectors.signatures import SIGNATURE_HEADER, sign_genesys, sign_meta
from pipeline.kafka.topics import TOPIC_PREFIX, TOPICS
from pipeline.settings import WagenSettings
from tests.conftest import SUITE_ENV
from tests.integration.acceptance.stack import (
    OUTBOUND_SECRET,
    Genesys,
    Tenants,
    Workers,
    text_webhook,
)
from tests.integration.gateway_process import running_gateway
from tests.integration.genesys_bodies import agent_webhook
from tests.integration.worker.harness import MetaSim

CUSTOMER = "4915112345678"
DEV_TOPICS = [t.name.removeprefix(TOPIC_PREFIX) for t in TOPICS]

Offsets = dict[TopicPartition, int]


async def _dev_ends(servers: list[str]) -> Offsets:
    """End offsets of every partition of the developer's topics that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics()) & set(DEV_TOPICS)
        described = await admin.describe_topics(sorted(existing)) if existing else []
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        ends: Offsets = await consumer.end_offsets(partitions)
        return dict(ends)
    finally:
        await consumer.stop()


async def _records_between(servers: list[str], start: Offsets, end: Offsets) -> list[bytes]:
    """Key, headers and value of every record in [start, end) of each partition, joined."""
    wanted = {tp: (start.get(tp, 0), stop) for tp, stop in end.items() if stop > start.get(tp, 0)}
    if not wanted:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    found: list[bytes] = []
    try:
        consumer.assign(list(wanted))
        for tp, (first, _) in wanted.items():
            consumer.seek(tp, first)
        async with asyncio.timeout(60):
            while wanted:
                batches = await consumer.getmany(timeout_ms=500)
                for tp, records in batches.items():
                    for r in records:
                        if tp in wanted and r.offset < wanted[tp][1]:
                            headers = b" ".join(k.encode() + b"=" + v for k, v in r.headers)
                            found.append(b" ".join([r.key or b"", headers, r.value or b""]))
                    if tp in wanted and await consumer.position(tp) >= wanted[tp][1]:
                        del wanted[tp]
    finally:
        await consumer.stop()
    return found


async def test_a_conversation_of_the_suite_leaves_the_developers_pipeline_as_it_was(
    settings: WagenSettings,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    meta: MetaSim,
    redis: Redis,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    # The suite's own corner, set before anything was imported.
    assert SUITE_ENV["WAGEN_KAFKA_TOPIC_PREFIX"] == TOPIC_PREFIX
    assert all(t.name.startswith(TOPIC_PREFIX) for t in TOPICS)
    assert settings.worker.app_id != "wagen"
    assert settings.tenancy.redis_prefix != "wagen:"
    servers = settings.kafka.servers
    before = await _dev_ends(servers)

    tenant = await tenants.create("iso")
    wamid = f"wamid.{uuid.uuid4().hex}"
    await workers.start(unique_name)
    async with (
        aiohttp.ClientSession() as http,
        running_gateway(workers.env(unique_name), http) as url,
    ):
        body = text_webhook(tenant, CUSTOMER, wamid, "Is my order on its way?")
        headers = {SIGNATURE_HEADER: sign_meta(body, tenant.app_secret)}
        async with http.post(
            f"{url}/webhooks/meta/{tenant.tenant_id}", data=body, headers=headers
        ) as answer:
            assert answer.status == 200
        await genesys.wait_delivered(1, timeout_s=60)
        meta.sandbox.open_window(tenant.number, CUSTOMER)
        reply = agent_webhook(tenant.integration_id, CUSTOMER, text="It ships today")
        headers = {SIGNATURE_HEADER: sign_genesys(reply, OUTBOUND_SECRET)}
        async with http.post(
            f"{url}/webhooks/genesys/{tenant.tenant_id}", data=reply, headers=headers
        ) as answer:
            assert answer.status == 200
        for _ in range(600):
            if meta.sandbox.sent:
                break
            await asyncio.sleep(0.1)
        assert len(meta.sandbox.sent) == 1, "the agent's reply did not reach the Meta simulator"

    # The developer's topics: none created by the suite, none holding this conversation.
    after = await _dev_ends(servers)
    assert {tp.topic for tp in after} <= {tp.topic for tp in before}, "the suite created a topic"
    leaked = [
        r
        for r in await _records_between(servers, before, after)
        if tenant.tenant_id.encode() in r or wamid.encode() in r
    ]
    assert leaked == []
    # The worker's group committed on the suite's topics only.
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(unique_name)
    finally:
        await admin.close()
    assert committed
    assert {tp.topic for tp in committed if not tp.topic.startswith(TOPIC_PREFIX)} == set()
    # Every Redis key of this tenant or message carries the test's prefix.
    keys = [k async for k in redis.scan_iter(match=f"*{tenant.tenant_id}*", count=1000)]
    keys += [k async for k in redis.scan_iter(match=f"*{wamid}*", count=1000)]
    prefix = tenancy_settings.tenancy.redis_prefix.encode()
    assert keys
    assert [k for k in keys if not k.startswith(prefix)] == []
