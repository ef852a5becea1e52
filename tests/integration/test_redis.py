"""A real round trip through the local Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from pipeline.settings import WagenSettings


async def test_set_get_with_expiry(settings: WagenSettings, unique_name: str) -> None:
    redis: Redis = Redis.from_url(settings.redis.url.get_secret_value())
    try:
        assert await redis.set(f"{unique_name}:k", b"v", ex=60, nx=True)
        # NX: a second writer of the same dedupe key is refused.
        assert not await redis.set(f"{unique_name}:k", b"other", ex=60, nx=True)
        assert await redis.get(f"{unique_name}:k") == b"v"
        assert 0 < await redis.ttl(f"{unique_name}:k") <= 60
    finally:
        await redis.delete(f"{unique_name}:k")
        await redis.aclose()
