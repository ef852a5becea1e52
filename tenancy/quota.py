"""Monthly plan quotas: the gate the pipeline calls before carrying a message.

Redis holds the month's running count per tenant and a Lua script checks and increments it
in one atomic step, so replicas racing for the last message cannot both pass: the quota
trips at the limit exactly. PostgreSQL (``usage_daily``) is the durable record; a Redis key
that is missing (flushed, first use this month) is seeded from it before the check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import asyncpg
from redis.asyncio import Redis

from tenancy import usage
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import Statement, run_together
from tenancy.errors import QuotaExceededError, TenancyError
from tenancy.settings import TenancySettings

log = logging.getLogger(__name__)

# Returns {allowed, used}; {-1, 0} when the month's key is missing: seed it from PostgreSQL
# first (one round trip saved on every message by not asking EXISTS beforehand).
_QUOTA_SCRIPT = """
local limit = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local current = redis.call('GET', KEYS[1])
if not current then
  return {-1, 0}
end
local used = tonumber(current)
if limit >= 0 and used + amount > limit then
  return {0, used}
end
used = redis.call('INCRBY', KEYS[1], amount)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, used}
"""


class PlanNotConfiguredError(TenancyError):
    """A tenant's plan is missing from ``WAGEN_TENANCY_PLANS``: refuse rather than guess."""

    code = "plan_not_configured"


@dataclass(frozen=True)
class QuotaUse:
    """The month's count after a successful ``consume``."""

    plan: str
    used: int
    limit: int | None


class QuotaService:
    """Counts messages per tenant per month against the tenant's plan."""

    def __init__(self, pool: asyncpg.Pool, redis: Redis, settings: TenancySettings) -> None:
        self._pool = pool
        self._redis = redis
        self._settings = settings
        self._script = redis.register_script(_QUOTA_SCRIPT)

    def limit_of(self, tenant_id: str, plan: str) -> int | None:
        """The plan's monthly message limit (None = unlimited)."""
        configured = self._settings.plans.get(plan)
        if configured is None:
            raise PlanNotConfiguredError(f"plan {plan!r} is not configured", tenant_id=tenant_id)
        return configured.monthly_messages

    async def consume(
        self,
        tenant_id: str,
        plan: str,
        amount: int = 1,
        *,
        also: Statement | None = None,
    ) -> QuotaUse:
        """Count ``amount`` messages, or raise ``QuotaExceededError`` and count nothing.

        ``also`` is written with the use (one statement, one transaction), so the caller's
        own note of the charge (the pipeline's ``quota_counted``) commits with it or not at
        all.
        """
        limit = self.limit_of(tenant_id, plan)
        day = usage.today()
        key = f"{self._settings.redis_prefix}quota:{tenant_id}:{day:%Y-%m}"
        month_end = datetime.combine(usage.next_month_start(day), time(), UTC)
        # Keep the key a day past the month so a late message still sees the month's count.
        expire_at = int(month_end.timestamp()) + 86_400
        args = [-1 if limit is None else limit, amount, expire_at]
        allowed, used = await self._script(keys=[key], args=args)
        if allowed == -1:  # first use this month, or Redis lost the key: seed, then count
            await self._seed(key, tenant_id, day, expire_at)
            allowed, used = await self._script(keys=[key], args=args)
        if not allowed:
            assert limit is not None  # only a limited plan refuses
            retry = max(1, int((month_end - datetime.now(UTC)).total_seconds()))
            raise QuotaExceededError(
                tenant_id=tenant_id, plan=plan, limit=limit, retry_after_s=retry
            )
        try:
            use = usage.increment(tenant_id, usage.MESSAGES, amount, day)
            async with tenant_tx(self._pool, tenant_id) as conn:
                await run_together(conn, use, *(() if also is None else (also,)))
        except BaseException:
            # The durable record failed: give the slot back so the count stays true.
            await self._redis.decrby(key, amount)
            raise
        return QuotaUse(plan=plan, used=int(used), limit=limit)

    async def _seed(self, key: str, tenant_id: str, day: date, expire_at: int) -> None:
        async with tenant_tx(self._pool, tenant_id) as conn:
            used = await usage.total(conn, tenant_id, usage.MESSAGES, usage.month_start(day), day)
        # NX: another replica may have seeded (and counted) first; its value wins.
        await self._redis.set(key, used, nx=True, exat=expire_at)
