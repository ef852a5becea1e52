"""Issue 16, point 6, with two live ``wagen gateway`` processes: a suspension (or deletion)
takes effect at once on every gateway, not when the cached status expires.

The probe saw a suspended or deleted tenant's webhooks accepted for up to 60 s
(``WAGEN_GATEWAY_SECRETS_TTL_S``). PostgreSQL now announces each tenant change at commit
(migration 0012) and every gateway forgets the tenant's cached facts; after losing its
listening connection a gateway forgets everything, since announcements were missed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.gateway.tenant_changes import APPLICATION_NAME
from pipeline.settings import WagenSettings
from tenancy.db.scope import platform_tx
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import (
    GatewayTenant,
    LiveGateway,
    create_gateway_tenant,
    running_gateway,
)
from tests.integration.tenancy.conftest import ADMIN

BODY = b'{"object": "whatsapp_business_account", "entry": []}'
# Far longer than any wait below: only an announcement can explain a change seen in time.
ENV = {"WAGEN_GATEWAY_SECRETS_TTL_S": "600"}
AT_ONCE_S = 10.0


async def _webhook(http: aiohttp.ClientSession, gateway: LiveGateway, tenant: GatewayTenant) -> int:
    headers = {SIGNATURE_HEADER: sign_meta(BODY, tenant.app_secret)}
    async with http.post(
        f"{gateway.url}/webhooks/meta/{tenant.tenant_id}", data=BODY, headers=headers
    ) as response:
        return response.status


async def _until(
    http: aiohttp.ClientSession, gateway: LiveGateway, tenant: GatewayTenant, status: int
) -> float:
    """Seconds until the gateway answers ``status`` to the tenant's signed webhook."""
    started = time.monotonic()
    while (got := await _webhook(http, gateway, tenant)) != status:
        assert time.monotonic() - started < AT_ONCE_S, f"still {got} after {AT_ONCE_S}s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
async def two_gateways(tenancy_settings: WagenSettings) -> AsyncIterator[list[LiveGateway]]:
    async with (
        running_gateway(tenancy_settings, ENV) as first,
        running_gateway(tenancy_settings, ENV) as second,
    ):
        yield [first, second]


async def _listening(gateway_count: int, pool: asyncpg.Pool) -> None:
    """Wait until that many listener sessions are up (a fresh gateway subscribes first)."""
    async with asyncio.timeout(30):
        while True:
            listening = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND "
                "datname = current_database() AND (query ILIKE 'LISTEN%' OR query = 'SELECT 1')",
                APPLICATION_NAME,
            )
            if listening >= gateway_count:
                return
            await asyncio.sleep(0.2)


async def test_a_suspension_stops_webhooks_on_every_gateway_at_once(
    two_gateways: list[LiveGateway],
    tenancy: Tenancy,
    pool: asyncpg.Pool,
    unique_name: str,
) -> None:
    tenant = await create_gateway_tenant(tenancy, unique_name.replace("test-", "s"), "enterprise")
    await _listening(2, pool)
    first, second = two_gateways
    async with aiohttp.ClientSession() as http:
        # Both gateways have the tenant cached as active now.
        for gateway in two_gateways:
            assert await _webhook(http, gateway, tenant) == 200
        async with http.patch(
            f"{first.url}/tenants/{tenant.tenant_id}", json={"status": "suspended"}, headers=ADMIN
        ) as response:
            assert response.status == 200
        for gateway in two_gateways:
            await _until(http, gateway, tenant, 403)
        async with http.patch(
            f"{second.url}/tenants/{tenant.tenant_id}", json={"status": "active"}, headers=ADMIN
        ) as response:
            assert response.status == 200
        for gateway in two_gateways:
            await _until(http, gateway, tenant, 200)
        async with http.delete(f"{second.url}/tenants/{tenant.tenant_id}", headers=ADMIN) as r:
            assert r.status == 200
        for gateway in two_gateways:
            await _until(http, gateway, tenant, 401)  # deleted: as if it never existed


async def test_a_gateway_that_lost_its_listener_forgets_what_it_cached(
    tenancy: Tenancy,
    tenancy_settings: WagenSettings,
    pool: asyncpg.Pool,
    unique_name: str,
) -> None:
    tenant = await create_gateway_tenant(tenancy, unique_name.replace("test-", "l"), "enterprise")
    async with running_gateway(tenancy_settings, ENV) as gateway, aiohttp.ClientSession() as http:
        await _listening(1, pool)
        assert await _webhook(http, gateway, tenant) == 200
        # The suspension commits while the gateway's listening session is cut off (in the
        # transaction that cuts it): its announcement reaches nobody. The reconnected
        # listener must not trust what was cached before.
        async with platform_tx(pool) as conn:
            cut = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                APPLICATION_NAME,
            )
            assert cut == 1
            await conn.execute(
                "UPDATE tenants SET status = 'suspended' WHERE tenant_id = $1", tenant.tenant_id
            )
        await _until(http, gateway, tenant, 403)
        output = gateway.process.output_so_far()
    assert "unhandled error" not in output
