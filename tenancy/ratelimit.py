"""Per-tenant request rate limits: a token bucket in Redis, updated by one Lua script.

The script reads, refills, takes and writes in one atomic step on the Redis server, with the
server's clock (``TIME``), so every gateway replica shares one bucket per tenant and no two
requests can both take the last token. The bucket holds one second's worth of tokens: a
tenant limited to N requests/s may burst N at once, then gets N per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

from tenancy.errors import RateLimitedError

_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000000)
local allowed = 0
local wait_us = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_us = math.ceil((1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait_us}
"""


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one ``take``."""

    allowed: bool
    limit: int
    retry_after_s: int


class RateLimiter:
    """Token buckets keyed ``<prefix>rate:<tenant_id>``."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_BUCKET_SCRIPT)

    async def take(self, tenant_id: str, per_second: int) -> RateDecision:
        """Take one token from the tenant's bucket."""
        allowed, wait_us = await self._script(
            keys=[f"{self._prefix}rate:{tenant_id}"], args=[per_second, per_second]
        )
        # Retry-After is whole seconds (RFC 9110); never tell a client 0.
        retry_after = max(1, math.ceil(int(wait_us) / 1_000_000)) if not allowed else 0
        return RateDecision(bool(allowed), per_second, retry_after)

    async def check(self, tenant_id: str, per_second: int) -> None:
        """Take a token or raise ``RateLimitedError`` carrying the limit and Retry-After."""
        decision = await self.take(tenant_id, per_second)
        if not decision.allowed:
            raise RateLimitedError(
                tenant_id=tenant_id, limit=decision.limit, retry_after_s=decision.retry_after_s
            )
