"""Tenancy on the real stack: a throwaway database, unique Redis keys, a unique Vault path."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from redis.asyncio import Redis

from connectors.sandbox.genesys import create_genesys_app
from connectors.sandbox.genesys_state import ClientConfig, GenesysSandbox, IntegrationConfig
from connectors.sandbox.meta import create_meta_app
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig
from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.db.pool import postgres_pool
from tenancy.services import Tenancy, TenancyConfig, build_tenancy
from tenancy.settings import PlanSettings
from tenancy.vault import VaultClient
from tests.conftest import free_port
from tests.integration.scratch import destroy_vault_tree

ADMIN_TOKEN = "test-admin-token-0123456789"
JWT_SECRET = "test-jwt-secret-0123456789-0123456789"
ADMIN_JWT_SECRET = "test-admin-jwt-secret-0123456789-0123456789"
BASE_DOMAIN = "wagen.test"
TEST_PLANS = {
    "starter": PlanSettings(monthly_messages=1_000, requests_per_second=100),
    "professional": PlanSettings(monthly_messages=10_000, requests_per_second=100),
    "enterprise": PlanSettings(monthly_messages=None, requests_per_second=100),
    "tiny": PlanSettings(monthly_messages=3, requests_per_second=100),
}


@dataclass
class VendorSims:
    """The Meta and Genesys simulators the test's gateway onboards tenants against.

    A test registers the vendor-side accounts a tenant already has (a business number and
    its token at Meta, an OAuth client at Genesys); onboarding does the rest.
    """

    meta_url: str
    genesys_url: str
    meta: MetaSandbox
    genesys: GenesysSandbox

    def meta_number(
        self,
        number: str,
        token: str,
        *,
        app_secret: str | None = None,
        waba_id: str | None = None,
        app_id: str | None = None,
    ) -> NumberConfig:
        """A business number and its token (its own WABA unless one is named)."""
        config = NumberConfig(
            phone_number_id=number,
            access_token=token,
            app_secret=app_secret,
            waba_id=waba_id or f"9{number}"[:30],
            **({"app_id": app_id} if app_id else {}),
        )
        self.meta.numbers[number] = config
        self.meta.revoked.discard(token)
        return config

    def genesys_client(
        self, client_id: str, secret: str, *, permissions: tuple[str, ...] | None = None
    ) -> ClientConfig:
        """An OAuth client of the tenant's org (every permission unless some are named)."""
        config = ClientConfig(client_id=client_id, client_secret=secret, permissions=permissions)
        self.genesys.clients[client_id] = config
        return config

    def genesys_integration(
        self, integration_id: str, secret: str | None = None, *, name: str | None = None
    ) -> IntegrationConfig:
        """An integration that exists already (made by the operator, not by wagen)."""
        config = IntegrationConfig(
            integration_id=integration_id, webhook_secret=secret, name=name or integration_id
        )
        self.genesys.integrations[integration_id] = config
        return config


@pytest.fixture
async def vendor_sims() -> AsyncIterator[VendorSims]:
    """A Meta and a Genesys simulator on loopback ports, empty.

    Their access logs are off, as a vendor's own logs are not wagen's: Meta's
    ``debug_token`` takes the token in its query string, and the log tests look for
    credentials in everything the test process logs.
    """
    meta, genesys = MetaSandbox(), GenesysSandbox()
    meta_server = TestServer(create_meta_app(meta), host="127.0.0.1")
    genesys_server = TestServer(create_genesys_app(genesys), host="127.0.0.1")
    await meta_server.start_server(access_log=None)
    try:
        await genesys_server.start_server(access_log=None)
        try:
            yield VendorSims(
                str(meta_server.make_url("")).rstrip("/"),
                str(genesys_server.make_url("")).rstrip("/"),
                meta,
                genesys,
            )
        finally:
            await genesys_server.close()
    finally:
        await meta_server.close()


@pytest.fixture
def gateway_port() -> int:
    """The port of the test's gateway, known before it starts: it is the public URL
    onboarding registers with the simulators."""
    return free_port()


@pytest.fixture
def tenancy_settings(
    settings: WagenSettings,
    unique_name: str,
    migrated_database: str,
    vendor_sims: VendorSims,
    gateway_port: int,
) -> WagenSettings:
    """Settings pointing at the throwaway database, with unique Redis keys and Vault paths,
    and the vendor clients at the test's simulators."""
    fast = {"retry_base_delay_s": 0.01, "retry_max_delay_s": 0.05, "timeout_s": 5.0}
    return settings.model_copy(
        update={
            "meta": settings.meta.model_copy(update={"graph_url": vendor_sims.meta_url, **fast}),
            "genesys": settings.genesys.model_copy(
                update={
                    "login_url": vendor_sims.genesys_url,
                    "api_url": vendor_sims.genesys_url,
                    **fast,
                }
            ),
            "onboarding": settings.onboarding.model_copy(
                update={
                    "public_url": f"http://127.0.0.1:{gateway_port}",
                    "genesys_poll_interval_s": 0.05,
                    "genesys_ready_timeout_s": 3.0,
                }
            ),
            "postgres": settings.postgres.model_copy(update={"dsn": SecretStr(migrated_database)}),
            "tenancy": settings.tenancy.model_copy(
                update={
                    "redis_prefix": f"{unique_name}:",
                    "base_domain": BASE_DOMAIN,
                    "plans": TEST_PLANS,
                    "last_used_flush_s": 3600.0,
                }
            ),
            "vault": settings.vault.model_copy(
                update={"tenant_prefix": f"wagen-test/{unique_name}"}
            ),
            "admin": settings.admin.model_copy(
                update={"token": SecretStr(ADMIN_TOKEN), "jwt_secret": SecretStr(ADMIN_JWT_SECRET)}
            ),
            "jwt": settings.jwt.model_copy(
                update={"algorithm": "HS256", "secret": SecretStr(JWT_SECRET)}
            ),
        }
    )


def tenancy_config(settings: WagenSettings) -> TenancyConfig:
    """The tenancy sections of the process settings."""
    return TenancyConfig(
        tenancy=settings.tenancy, admin=settings.admin, jwt=settings.jwt, vault=settings.vault
    )


@pytest.fixture
async def pool(tenancy_settings: WagenSettings) -> AsyncIterator[asyncpg.Pool]:
    """The process pool factory on the throwaway database, as the app role."""
    async with postgres_pool(tenancy_settings.postgres) as pool:
        yield pool


@pytest.fixture
async def redis(tenancy_settings: WagenSettings) -> AsyncIterator[Redis]:
    """A Redis client; every key this test writes is removed afterwards."""
    client: Redis = Redis.from_url(tenancy_settings.redis.url.get_secret_value())
    try:
        yield client
    finally:
        prefix = tenancy_settings.tenancy.redis_prefix
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
        await client.aclose()


@pytest.fixture
async def vault(tenancy_settings: WagenSettings) -> AsyncIterator[VaultClient]:
    """A Vault client; every credential written under the test's prefix is destroyed after."""
    client = VaultClient(tenancy_settings.vault)
    try:
        yield client
    finally:
        client.close()
        destroy_vault_tree(tenancy_settings)


@pytest.fixture
def tenancy(
    tenancy_settings: WagenSettings, pool: asyncpg.Pool, redis: Redis, vault: VaultClient
) -> Tenancy:
    """The service layer on the real stack."""
    return build_tenancy(tenancy_config(tenancy_settings), pool, redis, vault)


@pytest.fixture
def admin() -> Actor:
    """The actor tests act as."""
    return Actor(label="admin:test", request_id="req-test")


Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    tenancy_settings: WagenSettings, redis: Redis, vault: VaultClient, gateway_port: int
) -> AsyncIterator[Client]:
    """The real gateway app on its loopback port, over the throwaway database."""
    server = TestServer(create_app(tenancy_settings), host="127.0.0.1", port=gateway_port)
    test_client: Client = TestClient(server)
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def tenant_jwt(tenant_id: str | None, **claims: Any) -> str:
    """An HS256 token for the test secret, valid for five minutes."""
    payload: dict[str, Any] = {"sub": "tester", "exp": int(time.time()) + 300, **claims}
    if tenant_id is not None:
        payload["tenant_id"] = tenant_id
    return jwt.encode(payload, JWT_SECRET, algorithm="HS256")


def admin_jwt(*, secret: str = ADMIN_JWT_SECRET, **claims: Any) -> str:
    """An HS256 admin token (role and audience included) for the test's admin key."""
    payload: dict[str, Any] = {
        "sub": "operator",
        "exp": int(time.time()) + 300,
        "aud": "wagen-admin",
        "roles": ["wagen-admin"],
        **claims,
    }
    # A claim given as None is left out.
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, "HS256")


async def create_tenant(client: Client, tenant_id: str, **fields: Any) -> str:
    """Create a tenant over HTTP; returns its first API key."""
    response = await client.post(
        "/tenants", json={"tenantId": tenant_id, "name": tenant_id.title(), **fields}, headers=ADMIN
    )
    body = await response.json()
    assert response.status == 201, body
    key: str = body["apiKey"]
    return key
