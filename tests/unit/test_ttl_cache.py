"""TtlCache: one load per key per TTL, shared by concurrent callers, failures not cached."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.runtime.ttl_cache import TtlCache
from tests.unit.fake_clock import FakeClock


async def test_concurrent_callers_share_one_load() -> None:
    calls: list[str] = []
    release = asyncio.Event()

    async def load(key: str) -> str:
        calls.append(key)
        await release.wait()
        return key.upper()

    cache: TtlCache[str, str] = TtlCache(load, ttl_s=60)
    waiters = [asyncio.create_task(cache.get("acme")) for _ in range(100)]
    await asyncio.sleep(0)
    release.set()
    assert set(await asyncio.gather(*waiters)) == {"ACME"}
    assert calls == ["acme"]


async def test_values_expire_after_the_ttl() -> None:
    clock = FakeClock()
    loads = 0

    async def load(key: str) -> int:
        nonlocal loads
        loads += 1
        return loads

    cache: TtlCache[str, int] = TtlCache(load, ttl_s=10, clock=clock)
    assert await cache.get("a") == 1
    clock.now = 9.9
    assert await cache.get("a") == 1
    clock.now = 10.1
    assert await cache.get("a") == 2
    cache.invalidate("a")
    assert await cache.get("a") == 3


async def test_failures_reach_every_waiter_and_are_not_cached() -> None:
    attempts = 0
    release = asyncio.Event()

    async def load(key: str) -> str:
        nonlocal attempts
        attempts += 1
        await release.wait()
        if attempts == 1:
            raise ConnectionError("vault down")
        return "ok"

    cache: TtlCache[str, str] = TtlCache(load, ttl_s=60)
    waiters = [asyncio.create_task(cache.get("k")) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await cache.get("k") == "ok"
    assert attempts == 2


async def test_keys_are_independent() -> None:
    async def load(key: str) -> str:
        return key * 2

    cache: TtlCache[str, str] = TtlCache(load, ttl_s=60)
    assert [await cache.get("a"), await cache.get("b")] == ["aa", "bb"]
    with pytest.raises(TypeError):
        await cache.get(["unhashable"])  # type: ignore[arg-type]  # checks the runtime guard


async def test_a_load_overtaken_by_an_invalidation_caches_nothing() -> None:
    """A change notified while a load is under way: the load may have read the old value."""
    values = iter(["old", "new"])
    release = asyncio.Event()

    async def load(key: str) -> str:
        value = next(values)
        if value == "old":
            await release.wait()
        return value

    cache: TtlCache[str, str] = TtlCache(load, ttl_s=60)
    stale = asyncio.create_task(cache.get("acme"))
    await asyncio.sleep(0)
    cache.invalidate("acme")  # the change commits while the first read is in flight
    assert not cache.holds("acme")
    release.set()
    assert await stale == "old"  # its own caller still gets an answer...
    assert not cache.holds("acme")  # ...but it is not kept
    assert await cache.get("acme") == "new"
    assert cache.holds("acme")


async def test_invalidate_all_forgets_every_key() -> None:
    loads: list[str] = []

    async def load(key: str) -> str:
        loads.append(key)
        return key

    cache: TtlCache[str, str] = TtlCache(load, ttl_s=60)
    for key in ("a", "b", "a"):
        await cache.get(key)
    cache.invalidate_all()
    await cache.get("a")
    assert loads == ["a", "b", "a"]
