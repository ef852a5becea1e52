"""Pacing buckets in Redis: two workers (two pacers) draw on one budget per tenant."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from pipeline.settings import PacingSettings, WagenSettings
from pipeline.worker.resources import pacer_from
from pipeline.worker.shared_pacing import SharedPacer


def _pacer(redis: Redis, settings: WagenSettings, pacing: PacingSettings) -> SharedPacer:
    local = pacer_from(pacing)
    return SharedPacer(
        redis, local.budgets, key_prefix=settings.tenancy.redis_prefix, fallback=local
    )


async def test_two_workers_share_one_budget_per_tenant(
    redis: Redis, tenancy_settings: WagenSettings
) -> None:
    # One call a second, no burst beyond one: the waits step by a second across both.
    pacing = PacingSettings(genesys_per_minute=60, genesys_burst=1)
    first, second = _pacer(redis, tenancy_settings, pacing), _pacer(redis, tenancy_settings, pacing)
    tenant = f"pace{uuid.uuid4().hex[:8]}"
    waits = []
    for n in range(8):
        worker = first if n % 2 == 0 else second
        waits.append(await worker.reserve("genesys", tenant))
    # Each reservation queues behind the previous one, whichever worker took it
    # (tolerance: the calls themselves take a little of Redis's clock).
    assert waits == pytest.approx([float(n) for n in range(8)], abs=0.3)
    # Another tenant has its own bucket.
    assert await second.reserve("genesys", f"{tenant}-other") == 0.0


async def test_a_429_seen_by_one_worker_holds_the_tenant_on_every_worker(
    redis: Redis, tenancy_settings: WagenSettings
) -> None:
    pacing = PacingSettings(meta_per_second=10, meta_burst=5)
    first, second = _pacer(redis, tenancy_settings, pacing), _pacer(redis, tenancy_settings, pacing)
    tenant = f"pace{uuid.uuid4().hex[:8]}"
    assert await second.reserve("meta", tenant, "111") == 0.0
    await first.hold("meta", tenant, 3.0, "111")
    assert await second.reserve("meta", tenant, "111") == pytest.approx(3.1, abs=0.3)
    assert await second.reserve("meta", tenant, "222") == 0.0  # another number is not held
    ttl = await redis.pttl(first.key("meta", tenant, "111"))
    assert 60_000 < ttl < 70_000  # idle buckets expire


async def test_without_redis_each_worker_paces_on_its_own(
    tenancy_settings: WagenSettings,
) -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        pacing = PacingSettings(genesys_per_minute=60, genesys_burst=3)
        pacer = _pacer(unreachable, tenancy_settings, pacing)
        waits = [await pacer.reserve("genesys", "acme") for _ in range(5)]
    finally:
        await unreachable.aclose()
    # The in-process bucket: a burst of 3, then one a second.
    assert waits == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0], abs=0.2)
