"""The failed-authentication throttle on the real Redis: counters per address and per key
prefix, shared by every process, blocks that lift with the window, an observer told."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from pipeline.settings import WagenSettings
from tenancy.auth_throttle import AuthThrottle, Scope
from tenancy.errors import AuthThrottledError
from tests.conftest import free_port


class Seen:
    """Records what the throttle reports."""

    def __init__(self) -> None:
        self.failed: list[Scope] = []
        self.throttled: list[Scope] = []

    def auth_failed(self, scope: Scope) -> None:
        self.failed.append(scope)

    def auth_throttled(self, scope: Scope) -> None:
        self.throttled.append(scope)


def _throttle(
    redis: Redis, settings: WagenSettings, seen: Seen | None = None, window_s: float = 60.0
) -> AuthThrottle:
    tenancy = settings.tenancy.model_copy(
        update={"auth_failure_limit": 3, "auth_failure_window_s": window_s}
    )
    return AuthThrottle(redis, tenancy, seen)


async def test_the_limit_blocks_the_address_for_every_replica(
    redis: Redis, tenancy_settings: WagenSettings
) -> None:
    seen = Seen()
    one, other = _throttle(redis, tenancy_settings, seen), _throttle(redis, tenancy_settings)
    await one.failed("tenant", "198.51.100.1")
    await other.failed("tenant", "198.51.100.1")  # another gateway, the same counter
    with pytest.raises(AuthThrottledError) as blocked:
        await one.failed("tenant", "198.51.100.1")
    assert 1 <= blocked.value.retry_after_s <= 60
    with pytest.raises(AuthThrottledError):
        await other.check("admin", "198.51.100.1")  # every replica sees the block
    await one.check("tenant", "198.51.100.2")  # another client is free
    assert seen.failed == ["tenant", "tenant"]
    assert seen.throttled == ["tenant"]


async def test_a_key_prefix_is_counted_across_addresses(
    redis: Redis, tenancy_settings: WagenSettings
) -> None:
    throttle = _throttle(redis, tenancy_settings)
    for n in range(2):
        await throttle.failed("tenant", f"198.51.100.{n}", "0123456789ab")
    with pytest.raises(AuthThrottledError):
        await throttle.failed("tenant", "198.51.100.9", "0123456789ab")
    with pytest.raises(AuthThrottledError):
        await throttle.check("tenant", "203.0.113.1", "0123456789ab")
    await throttle.check("tenant", "203.0.113.1", "ba9876543210")


async def test_a_block_lifts_with_the_window(redis: Redis, tenancy_settings: WagenSettings) -> None:
    throttle = _throttle(redis, tenancy_settings, window_s=1.0)
    for _ in range(2):
        await throttle.failed("webhook", "198.51.100.1")
    with pytest.raises(AuthThrottledError):
        await throttle.failed("webhook", "198.51.100.1")
    with pytest.raises(AuthThrottledError):
        throttle.check_here("webhook", "198.51.100.1")  # remembered in process, no Redis call
    await asyncio.sleep(1.2)
    throttle.check_here("webhook", "198.51.100.1")
    await throttle.check("webhook", "198.51.100.1")


async def test_without_redis_the_throttle_steps_aside(tenancy_settings: WagenSettings) -> None:
    gone: Redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    try:
        throttle = _throttle(gone, tenancy_settings)
        for _ in range(5):  # no 429 and no exception: the credential checks still hold
            await throttle.check("admin", "198.51.100.1")
            await throttle.failed("admin", "198.51.100.1")
    finally:
        await gone.aclose()
