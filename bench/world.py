"""The benchmark's own corner of the local stack, and its tenants.

One run gets a throwaway PostgreSQL database (migrated), its own Redis key prefix and Vault
path, like a test; tenants are created through wagen's tenancy services (the rows, the
phone-number index and the credentials in Vault, audited) and registered in the simulators
through their control routes. Everything is removed at the end.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
from pydantic import SecretStr
from redis.asyncio import Redis

from bench.payloads import BenchTenant, save_tenants
from pipeline.runtime.resources import tenancy_config
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.db.migrate import migrate
from tenancy.db.pool import postgres_pool
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import build_tenancy
from tenancy.settings import PlanSettings
from tenancy.vault import vault_client
from tests.integration.scratch import destroy_vault_tree, drop_database

ACTOR = Actor(label="admin:bench", request_id="req-bench")
PLAN = "bench"
# Unlimited messages, an API rate limit nobody reaches: plans are not what is measured.
PLANS = {PLAN: PlanSettings(monthly_messages=None, requests_per_second=1_000_000)}
# Genesys's real budget is ~300/min per tenant; throughput runs raise it out of the way.
UNPACED_PER_MINUTE = 60_000_000.0


@dataclass
class World:
    """Settings of the run's stores, the tenants, and the simulators' addresses."""

    run: str
    settings: WagenSettings
    scratch: Path
    genesys_url: str
    meta_url: str
    tenants: list[BenchTenant]
    conversations: list[tuple[int, str]]
    flood: BenchTenant | None = None
    flood_budget_per_min: float = 600.0

    @property
    def all_tenants(self) -> list[BenchTenant]:
        """The tenants, then the flooding one: the order of the tenants file."""
        return [*self.tenants, *([self.flood] if self.flood else [])]

    @property
    def tenants_file(self) -> Path:
        """The tenants (with secrets) for the load generator and the relay."""
        return self.scratch / "tenants.json"

    def env(self, **extra: str) -> dict[str, str]:
        """The ``WAGEN_*`` environment of a gateway or worker of this run."""
        overrides: dict[str, float] = {}
        if self.flood is not None:
            overrides[self.flood.tenant_id] = self.flood_budget_per_min
        return {
            "WAGEN_POSTGRES_DSN": self.settings.postgres.dsn.get_secret_value(),
            "WAGEN_TENANCY_REDIS_PREFIX": self.settings.tenancy.redis_prefix,
            "WAGEN_TENANCY_PLANS": json.dumps({k: v.model_dump() for k, v in PLANS.items()}),
            "WAGEN_TENANCY_DEFAULT_PLAN": PLAN,
            "WAGEN_VAULT_TENANT_PREFIX": self.settings.vault.tenant_prefix,
            "WAGEN_GENESYS_LOGIN_URL": self.genesys_url,
            "WAGEN_GENESYS_API_URL": self.genesys_url,
            "WAGEN_META_GRAPH_URL": self.meta_url,
            "WAGEN_PACING_GENESYS_PER_MINUTE": str(UNPACED_PER_MINUTE),
            "WAGEN_PACING_GENESYS_OVERRIDES": json.dumps(overrides),
            "WAGEN_PACING_META_PER_SECOND": "1000000",
            "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest",
            # Several workers (and gateways) share this host: each picks a free port for
            # its /metrics listener.
            "WAGEN_WORKER_METRICS_PORT": "0",
            "WAGEN_GATEWAY_METRICS_PORT": "0",
            **extra,
        }


def _with_database(dsn: str, database: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))


@asynccontextmanager
async def bench_stores(base: WagenSettings, run: str) -> AsyncIterator[WagenSettings]:
    """Settings over a fresh migrated database, Redis prefix and Vault path; all removed after."""
    admin_dsn = base.postgres.dsn.get_secret_value()
    database = f"wagen_bench_{run}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    settings = base.model_copy(
        update={
            "postgres": base.postgres.model_copy(
                update={"dsn": SecretStr(_with_database(admin_dsn, database))}
            ),
            "tenancy": base.tenancy.model_copy(
                update={"redis_prefix": f"bench-{run}:", "plans": PLANS, "default_plan": PLAN}
            ),
            "vault": base.vault.model_copy(update={"tenant_prefix": f"wagen-bench/{run}"}),
        }
    )
    try:
        conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield settings
    finally:
        try:
            await drop_database(admin, database)
        finally:
            await admin.close()
        await _forget_redis(settings)
        destroy_vault_tree(settings)


async def _forget_redis(settings: WagenSettings) -> None:
    client: Redis = Redis.from_url(settings.redis.url.get_secret_value())
    try:
        async for key in client.scan_iter(match=f"{settings.tenancy.redis_prefix}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


def new_tenant(run: str, label: str, number: int) -> BenchTenant:
    """A tenant's ids and fresh secrets (nothing stored yet)."""
    tenant_id = f"b{run}-{label}"
    return BenchTenant(
        tenant_id=tenant_id,
        number=f"{number}{random.randrange(10**11, 10**12)}",  # noqa: S311  (an id, not a secret)
        app_secret=f"app-secret-{uuid.uuid4().hex}",
        access_token=f"EAAG-{uuid.uuid4().hex}",
        client_id=f"client-{tenant_id}",
        client_secret=f"client-secret-{uuid.uuid4().hex}",
        integration_id=str(uuid.uuid4()),
        outbound_secret=f"outbound-secret-{uuid.uuid4().hex}",
    )


async def create_tenants(settings: WagenSettings, tenants: list[BenchTenant]) -> None:
    """Create each tenant and its Meta and Genesys credentials through the tenancy services."""
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(postgres_pool(settings.postgres))
        redis: Redis = Redis.from_url(settings.redis.url.get_secret_value())
        stack.push_async_callback(redis.aclose)
        vault = await stack.enter_async_context(vault_client(settings.vault))
        tenancy = build_tenancy(tenancy_config(settings), pool, redis, vault)

        async def one(tenant: BenchTenant) -> None:
            await tenancy.tenants.create(
                TenantCreate(tenant_id=tenant.tenant_id, name=tenant.tenant_id, plan=PLAN), ACTOR
            )
            meta = {
                "appSecret": tenant.app_secret,
                "verifyToken": f"verify-{tenant.tenant_id}",
                "accessToken": tenant.access_token,
                "phoneNumberId": tenant.number,
            }
            genesys = {
                "clientId": tenant.client_id,
                "clientSecret": tenant.client_secret,
                "region": "mypurecloud.ie",
                "integrationId": tenant.integration_id,
                "outboundWebhookSecret": tenant.outbound_secret,
            }
            put = tenancy.credentials.put
            await put(tenant.tenant_id, CredentialsWrite(type="meta", credentials=meta), ACTOR)
            await put(
                tenant.tenant_id, CredentialsWrite(type="genesys", credentials=genesys), ACTOR
            )

        # One at a time: a tenant's creation may hold one pooled connection while it waits
        # for another, so many at once can exhaust the pool and wait on each other forever.
        for tenant in tenants:
            await one(tenant)


async def register_in_simulators(
    genesys_url: str,
    meta_url: str,
    tenants: list[BenchTenant],
    conversations: list[tuple[int, str]],
) -> None:
    """Tell the simulators about each tenant's client, integration and number, and open the
    24-hour window of every conversation at Meta (agent replies need it)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for t in tenants:
        calls += [
            (
                f"{genesys_url}/_sandbox/clients",
                {"client_id": t.client_id, "client_secret": t.client_secret},
            ),
            (f"{genesys_url}/_sandbox/integrations", {"integration_id": t.integration_id}),
            (
                f"{meta_url}/_sandbox/numbers",
                {"phone_number_id": t.number, "access_token": t.access_token},
            ),
        ]
    calls += [
        (f"{meta_url}/_sandbox/windows", {"phone_number_id": tenants[i].number, "wa_id": wa_id})
        for i, wa_id in conversations
    ]
    async with aiohttp.ClientSession() as session:
        slots = asyncio.Semaphore(16)

        async def post(url: str, body: dict[str, Any]) -> None:
            async with slots, session.post(url, json=body) as response:
                if response.status >= 300:
                    raise RuntimeError(f"{url}: {response.status} {await response.text()}")

        await asyncio.gather(*(post(url, body) for url, body in calls))


def conversations_of(count: int, tenants: int) -> list[tuple[int, str]]:
    """``count`` customers (wa_id) spread round-robin over ``tenants`` tenants."""
    return [(n % tenants, f"4915{n:09d}") for n in range(count)]


def write_tenants(world: World) -> None:
    """The tenants file the load generator and the relay read."""
    save_tenants(world.tenants_file, world.all_tenants)
