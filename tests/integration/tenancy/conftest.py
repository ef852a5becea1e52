"""Tenancy on the real stack: a throwaway database, unique Redis keys, a unique Vault path."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from redis.asyncio import Redis

from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.db.pool import postgres_pool
from tenancy.services import Tenancy, TenancyConfig, build_tenancy
from tenancy.settings import PlanSettings
from tenancy.vault import VaultClient
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


@pytest.fixture
def tenancy_settings(
    settings: WagenSettings, unique_name: str, migrated_database: str
) -> WagenSettings:
    """Settings pointing at the throwaway database, with unique Redis keys and Vault paths."""
    return settings.model_copy(
        update={
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
    tenancy_settings: WagenSettings, redis: Redis, vault: VaultClient
) -> AsyncIterator[Client]:
    """The real gateway app on a loopback port, over the throwaway database."""
    test_client: Client = TestClient(TestServer(create_app(tenancy_settings)))
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
    key: str = body["apiKey"]["key"]
    return key
