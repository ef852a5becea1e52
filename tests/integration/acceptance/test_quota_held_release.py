"""A starter plan of 10 messages (test config) sends 15: 10 reach Genesys, 5 are held with
reason ``monthly_quota_exceeded``; upgrading the plan lets the worker's own held releaser
deliver the 5, each once.
"""

from __future__ import annotations

import json
import uuid

import asyncpg
from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, held_topic, retry_topic
from pipeline.settings import WagenSettings
from tenancy.models import TenantPatch
from tenancy.services import Tenancy, build_tenancy
from tenancy.settings import PlanSettings
from tenancy.vault import VaultClient
from tests.integration.acceptance.stack import (
    ACTOR,
    Genesys,
    Tenants,
    Workers,
    publish,
    text_webhook,
    wait_caught_up,
)
from tests.integration.kafka_tail import TopicTail
from tests.integration.tenancy.conftest import tenancy_config

PLANS = {
    "starter": PlanSettings(monthly_messages=10, requests_per_second=100),
    "business": PlanSettings(monthly_messages=1_000, requests_per_second=100),
}
CUSTOMER = "15553334444"


async def _held_then_upgraded(
    settings: WagenSettings,
    tenancy: Tenancy,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    group: str,
    worker_env: dict[str, str],
    release_timeout_s: float,
) -> None:
    """15 messages on a plan of 10: 10 delivered, 5 held; the upgrade delivers the 5, once."""
    tenant = await tenants.create("quota")  # no plan named: the default, starter
    assert (await tenancy.tenants.get(tenant.tenant_id)).plan == "starter"
    await workers.start(
        group,
        {
            "WAGEN_TENANCY_PLANS": json.dumps({k: v.model_dump() for k, v in PLANS.items()}),
            "WAGEN_TENANCY_DEFAULT_PLAN": "starter",
            "WAGEN_WORKER_HELD_RELEASE_INTERVAL_S": "1",
            **worker_env,
        },
    )

    wamids = [f"wamid.q{n}-{uuid.uuid4().hex}" for n in range(15)]
    servers = settings.kafka.servers
    async with TopicTail(settings, held_topic(WA_EVENTS)) as held:
        for n, wamid in enumerate(wamids):
            body = text_webhook(tenant, CUSTOMER, wamid, f"#{n}")
            await publish(producer, tenant.tenant_id, body)
        parked = await held.records_for(f"{tenant.tenant_id}:".encode(), 5, prefix=True, rounds=60)
        first = await genesys.wait_delivered(10, timeout_s=10)
        await wait_caught_up(servers, group, [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)])
        parked += await held.records_for(b"-", 1, rounds=2)  # nothing else held meanwhile

    assert [c.text for c in first] == [f"#{n}" for n in range(10)]
    # The same event may be parked twice: the releaser's room (PostgreSQL usage) can lag the
    # quota gate (Redis) for a moment and release an event that is then held again.
    assert {json.loads(value)["message_id"] for value, _ in parked} == set(wamids[10:])
    assert {h["held_reason"] for _, h in parked} == {b"monthly_quota_exceeded"}

    await tenancy.tenants.update(tenant.tenant_id, TenantPatch(plan="business"), ACTOR)

    released = await genesys.wait_delivered(15, timeout_s=release_timeout_s)
    await wait_caught_up(servers, group, [WA_EVENTS, retry_topic(WA_EVENTS)])
    delivered = genesys.delivered()
    assert sorted(c.message_id or "" for c in delivered) == sorted(wamids)  # each exactly once
    assert sorted(c.text or "" for c in released[10:]) == [f"#{n}" for n in range(10, 15)]


def _tenancy(
    settings: WagenSettings, pool: asyncpg.Pool, redis: Redis, vault: VaultClient
) -> tuple[WagenSettings, Tenancy]:
    """The test's settings and tenancy services with the plans above, starter by default."""
    tenancy_settings = settings.tenancy.model_copy(
        update={"plans": PLANS, "default_plan": "starter"}
    )
    planned = settings.model_copy(update={"tenancy": tenancy_settings})
    return planned, build_tenancy(tenancy_config(planned), pool, redis, vault)


async def test_messages_past_the_plan_are_held_then_released_by_an_upgrade(
    tenancy_settings: WagenSettings,
    pool: asyncpg.Pool,
    redis: Redis,
    vault: VaultClient,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    unique_name: str,
) -> None:
    settings, tenancy = _tenancy(tenancy_settings, pool, redis, vault)
    # A short tenant cache: the release does not depend on the releaser dropping the cached
    # plan (the next test shows that it does, with the default 60 s cache).
    await _held_then_upgraded(
        settings, tenancy, tenants, workers, genesys, producer, unique_name,
        {"WAGEN_WORKER_TENANT_CACHE_TTL_S": "1"}, release_timeout_s=20,
    )  # fmt: skip


async def test_with_default_settings_an_upgrade_releases_held_messages_promptly(
    tenancy_settings: WagenSettings,
    pool: asyncpg.Pool,
    redis: Redis,
    vault: VaultClient,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    unique_name: str,
) -> None:
    settings, tenancy = _tenancy(tenancy_settings, pool, redis, vault)
    await _held_then_upgraded(
        settings, tenancy, tenants, workers, genesys, producer, unique_name, {},
        release_timeout_s=10,
    )  # fmt: skip
