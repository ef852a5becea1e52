"""Pacing budgets kept in Redis, so every worker draws on one bucket per tenant.

Kafka spreads a tenant's conversations over partitions and the partitions over workers, so
buckets kept in each worker would let a tenant reach N times its budget with N workers. Here
the bucket of (destination, tenant, scope) is a Redis hash changed by one Lua script — the
same reservation arithmetic as :class:`~pipeline.worker.pacing.TokenBucket`, on Redis's
clock, so workers on different hosts agree — at the cost of one round trip per vendor call.

Redis unreachable: the worker falls back to its own in-process buckets (pacing per worker,
as before) rather than stopping every tenant; a 429 is still only a retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final, Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

from pipeline.metrics import record as metrics
from pipeline.worker.pacing import Destination, Pacer, PacingBudgets

log = logging.getLogger(__name__)

# KEYS[1]: the bucket. ARGV: rate per second, burst, "reserve" | "hold", hold seconds.
# Returns the seconds to wait (as a string: Lua numbers would be truncated to integers).
_BUCKET_SCRIPT: Final = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
if now > updated then
  tokens = math.min(burst, tokens + (now - updated) * rate)
  updated = now
end
local wait = 0
if ARGV[3] == 'hold' then
  tokens = math.min(tokens, 0) - tonumber(ARGV[4]) * rate
else
  tokens = tokens - 1
  if tokens < 0 then wait = -tokens / rate end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated))
redis.call('PEXPIRE', KEYS[1], math.ceil(((burst - tokens) / rate + 60) * 1000))
return tostring(wait)
"""

_WARN_EVERY_S: Final = 30.0

Operation = Literal["reserve", "hold"]


class SharedPacer:
    """The pacer of :mod:`pipeline.worker.pacing`, with its buckets in Redis."""

    def __init__(
        self, redis: Redis, budgets: PacingBudgets, *, key_prefix: str, fallback: Pacer
    ) -> None:
        self._budgets = budgets
        self._prefix = key_prefix
        self._fallback = fallback
        self._script = redis.register_script(_BUCKET_SCRIPT)
        self._warned_at = -_WARN_EVERY_S

    def key(self, destination: Destination, tenant_id: str, scope: str = "") -> str:
        """The Redis key of one bucket."""
        return f"{self._prefix}pace:{destination}:{tenant_id}:{scope}"

    async def reserve(self, destination: Destination, tenant_id: str, scope: str = "") -> float:
        """Take a token now; the seconds the caller must wait before its call."""
        return await self._run("reserve", destination, tenant_id, scope)

    async def acquire(self, destination: Destination, tenant_id: str, scope: str = "") -> None:
        """Wait for this call's turn in the tenant's budget, across all workers."""
        wait = await self.reserve(destination, tenant_id, scope)
        if wait > 0:
            metrics.paced(destination, tenant_id, wait)
            await asyncio.sleep(wait)

    async def hold(
        self, destination: Destination, tenant_id: str, seconds: float, scope: str = ""
    ) -> None:
        """The vendor said 429: no worker gets a token of this bucket for ``seconds``."""
        await self._run("hold", destination, tenant_id, scope, seconds)

    async def _run(
        self,
        operation: Operation,
        destination: Destination,
        tenant_id: str,
        scope: str,
        seconds: float = 0.0,
    ) -> float:
        budget = self._budgets.of(destination, tenant_id)
        try:
            wait = await self._script(
                keys=[self.key(destination, tenant_id, scope)],
                args=[budget.rate_per_s, budget.burst, operation, seconds],
            )
            return float(wait)
        except (RedisError, OSError) as exc:
            self._warn(exc)
        if operation == "hold":
            await self._fallback.hold(destination, tenant_id, seconds, scope)
            return 0.0
        return self._fallback.reserve(destination, tenant_id, scope)

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "Redis unreachable for shared pacing: pacing per worker meanwhile",
                extra={"error": str(exc)},
            )
