"""The tenancy service layer of one process, built once from its shared clients.

The gateway's handlers and the CLI both call these; neither holds SQL or Vault calls itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from redis.asyncio import Redis

from tenancy.apikeys import ApiKeyService, KeyHasher
from tenancy.audit import Actor
from tenancy.auth_throttle import AuthObserver, AuthThrottle
from tenancy.bearer import JwtVerifier, admin_jwt_settings
from tenancy.credentials import CredentialService
from tenancy.phone_numbers import PhoneNumberIndex
from tenancy.quota import QuotaService
from tenancy.ratelimit import RateLimiter
from tenancy.settings import AdminSettings, JwtSettings, TenancySettings, VaultSettings
from tenancy.state import StateService
from tenancy.tenants import TenantService
from tenancy.vault import VaultClient


@dataclass(frozen=True)
class TenancyConfig:
    """The settings sections tenancy reads (the process settings compose them)."""

    tenancy: TenancySettings
    admin: AdminSettings
    jwt: JwtSettings
    vault: VaultSettings


@dataclass(frozen=True)
class Tenancy:
    """Every tenancy service, sharing one pool, one Redis and one Vault client."""

    config: TenancyConfig
    tenants: TenantService
    keys: ApiKeyService
    credentials: CredentialService
    numbers: PhoneNumberIndex
    state: StateService
    quota: QuotaService
    rate_limiter: RateLimiter
    jwt: JwtVerifier
    admin_jwt: JwtVerifier
    auth_throttle: AuthThrottle

    def plan_limit(self, plan: str) -> int | None:
        """Monthly messages of a plan (None: unlimited or not configured)."""
        configured = self.config.tenancy.plans.get(plan)
        return configured.monthly_messages if configured else None

    def requests_per_second(self, plan: str, rate_limit: int | None) -> int:
        """The tenant's own limit, else its plan's, else the default plan's."""
        if rate_limit is not None:
            return rate_limit
        plans = self.config.tenancy.plans
        configured = plans.get(plan) or plans[self.config.tenancy.default_plan]
        return configured.requests_per_second

    async def purge_deleted(self, older_than: timedelta, actor: Actor) -> list[str]:
        """Purge tenants soft-deleted before ``older_than`` ago: Vault first, then rows.

        Vault goes first so an interrupted purge leaves the row behind and is simply rerun.
        """
        purged = []
        for tenant_id in await self.tenants.purge_candidates(older_than):
            await self.credentials.purge(tenant_id)
            await self.tenants.purge_rows(tenant_id, actor)
            purged.append(tenant_id)
        return purged


def build_tenancy(
    config: TenancyConfig,
    pool: asyncpg.Pool,
    redis: Redis,
    vault: VaultClient,
    *,
    auth_observer: AuthObserver | None = None,
) -> Tenancy:
    """Wire the services; opens nothing (the clients belong to the caller)."""
    hasher = KeyHasher(config.tenancy.key_pepper)
    numbers = PhoneNumberIndex(pool)
    prefix = config.tenancy.redis_prefix
    return Tenancy(
        config=config,
        tenants=TenantService(pool, config.tenancy, hasher),
        keys=ApiKeyService(pool, hasher),
        credentials=CredentialService(pool, vault, config.vault, hasher, numbers),
        numbers=numbers,
        state=StateService(pool),
        quota=QuotaService(pool, redis, config.tenancy),
        rate_limiter=RateLimiter(redis, prefix),
        jwt=JwtVerifier(config.jwt),
        admin_jwt=JwtVerifier(admin_jwt_settings(config.admin, config.jwt)),
        auth_throttle=AuthThrottle(redis, config.tenancy, auth_observer),
    )


@asynccontextmanager
async def running(tenancy: Tenancy) -> AsyncIterator[Tenancy]:
    """Run the background work of the services (the last-used flusher) for a lifespan."""
    flusher = asyncio.create_task(
        tenancy.keys.run_flusher(tenancy.config.tenancy.last_used_flush_s),
        name="api-key-last-used-flusher",
    )
    try:
        yield tenancy
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
