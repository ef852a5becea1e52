"""Rate limits (Redis token bucket) and monthly quotas (exact at the plan limit), and usage."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from tenancy.audit import Actor
from tenancy.errors import QuotaExceededError
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, create_tenant


async def test_a_burst_above_the_limit_gets_429s_and_the_rest_pass(client: Client) -> None:
    key = await create_tenant(client, "alpha")
    await client.patch("/tenants/alpha", json={"rateLimit": 5}, headers=ADMIN)
    responses = await asyncio.gather(
        *(client.get("/state/stats", headers={"X-API-Key": key}) for _ in range(15))
    )
    passed = [r for r in responses if r.status == 200]
    limited = [r for r in responses if r.status == 429]
    assert len(passed) + len(limited) == 15
    # The bucket holds 5; a little refill may land while the burst is served.
    assert 5 <= len(passed) <= 7
    for response in limited:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.headers["X-RateLimit-Limit"] == "5"
        body = await response.json()
        assert body["error"]["code"] == "rate_limited"
        assert body["error"]["limit"] == 5
    await asyncio.sleep(1.0)
    assert (await client.get("/state/stats", headers={"X-API-Key": key})).status == 200


async def test_buckets_are_per_tenant(client: Client) -> None:
    keys = [await create_tenant(client, t) for t in ("alpha", "bravo")]
    await client.patch("/tenants/alpha", json={"rateLimit": 1}, headers=ADMIN)
    first = await client.get("/state/stats", headers={"X-API-Key": keys[0]})
    second = await client.get("/state/stats", headers={"X-API-Key": keys[0]})
    assert (first.status, second.status) == (200, 429)
    assert (await client.get("/state/stats", headers={"X-API-Key": keys[1]})).status == 200


async def test_quota_trips_at_the_plan_limit_exactly(tenancy: Tenancy, admin: Actor) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id="alpha", name="A", plan="tiny"), admin)
    uses = [await tenancy.quota.consume("alpha", "tiny") for _ in range(3)]
    assert [u.used for u in uses] == [1, 2, 3]
    with pytest.raises(QuotaExceededError) as caught:
        await tenancy.quota.consume("alpha", "tiny")
    assert (caught.value.plan, caught.value.limit, caught.value.code) == (
        "tiny",
        3,
        "monthly_quota_exceeded",
    )
    report = await tenancy.tenants.get("alpha")
    assert report.plan == "tiny"


async def test_concurrent_consumers_never_overshoot(tenancy: Tenancy, admin: Actor) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id="alpha", name="A", plan="tiny"), admin)
    results = await asyncio.gather(
        *(tenancy.quota.consume("alpha", "tiny") for _ in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 3
    assert all(isinstance(r, QuotaExceededError) for r in results if isinstance(r, BaseException))


async def test_quota_survives_a_redis_flush(tenancy: Tenancy, admin: Actor, redis: Redis) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id="alpha", name="A", plan="tiny"), admin)
    await tenancy.quota.consume("alpha", "tiny", amount=2)
    prefix = tenancy.config.tenancy.redis_prefix
    async for key in redis.scan_iter(match=f"{prefix}quota:*"):
        await redis.delete(key)
    # Seeded back from usage_daily: one left, then the limit.
    assert (await tenancy.quota.consume("alpha", "tiny")).used == 3
    with pytest.raises(QuotaExceededError):
        await tenancy.quota.consume("alpha", "tiny")


async def test_usage_and_stats_read_the_counters(
    client: Client, tenancy: Tenancy, admin: Actor
) -> None:
    key = await create_tenant(client, "alpha", plan="tiny")
    await tenancy.quota.consume("alpha", "tiny", amount=2)
    stats = await (await client.get("/state/stats", headers={"X-API-Key": key})).json()
    assert (stats["todayMessages"], stats["monthMessages"], stats["monthlyLimit"]) == (2, 2, 3)
    report = await (await client.get("/tenants/alpha/usage", headers=ADMIN)).json()
    assert report["totals"] == {"messages": 2}
    assert len(report["days"]) == 1
    bad = await client.get("/tenants/alpha/usage?from=2025-02-01&to=2025-01-01", headers=ADMIN)
    assert bad.status == 400
    listing = await (await client.get("/tenants", headers=ADMIN)).json()
    assert listing["items"][0]["usage"]["messages"] == 2
