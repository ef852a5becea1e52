"""The integration guide wagen implements, request by request, verbatim (admin auth added).

The guide ("Multi-Tenant WhatsApp-Genesys Integration Guide") onboards ``acme-corp`` with
three requests, then reads stats and conversations with the tenant's key, checks isolation
with a second tenant, and migrates a single-tenant install to a ``default`` tenant. Each
example runs here as written; the vendor accounts its bodies name exist in the simulators.
"""

from __future__ import annotations

import json

import asyncpg

from tenancy.audit import Actor
from tenancy.migrate_default import migrate_default
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

CREATE_TENANT = {
    "tenantId": "acme-corp",
    "name": "Acme Corporation",
    "subdomain": "acme",
    "plan": "enterprise",
}
META_BODY = {
    "type": "meta",
    "credentials": {
        "appSecret": "your_meta_app_secret",
        "verifyToken": "your_verify_token",
        "accessToken": "your_meta_access_token",
        "phoneNumberId": "123456789",
    },
}
GENESYS_BODY = {
    "type": "genesys",
    "credentials": {
        "clientId": "genesys_client_id",
        "clientSecret": "genesys_client_secret",
        "region": "mypurecloud.com",
    },
}


def _guide_accounts(sims: VendorSims) -> None:
    """What acme-corp has at the vendors before it comes to wagen."""
    sims.meta_number("123456789", "your_meta_access_token", app_secret="your_meta_app_secret")
    sims.genesys_client("genesys_client_id", "genesys_client_secret")


async def test_onboard_a_new_tenant_with_the_guides_three_requests(
    client: Client, vendor_sims: VendorSims
) -> None:
    _guide_accounts(vendor_sims)
    created = await client.post("/tenants", json=CREATE_TENANT, headers=ADMIN)
    body = await created.json()
    assert created.status == 201, body
    assert body["message"] == "Tenant created successfully"
    assert body["tenant"]["tenantId"] == "acme-corp"
    assert body["tenant"]["subdomain"] == "acme"
    assert body["tenant"]["plan"] == "enterprise"
    api_key = body["apiKey"]
    assert isinstance(api_key, str)
    assert api_key.startswith("wk_")
    assert body["apiKeyInfo"]["prefix"] in api_key
    assert "key" not in body["apiKeyInfo"]

    for credentials in (META_BODY, GENESYS_BODY):
        stored = await client.post(
            "/tenants/acme-corp/credentials", json=credentials, headers=ADMIN
        )
        assert stored.status == 201, await stored.text()

    # A script written to the guide uses .apiKey as the key itself.
    stats = await client.get("/state/stats", headers={"X-API-Key": api_key})
    assert stats.status == 200, await stats.text()
    assert {
        "tenantId",
        "totalMappings",
        "totalMessages",
        "activeConversations",
        "todayMessages",
    } <= set(await stats.json())
    assert (await stats.json())["tenantId"] == "acme-corp"
    health = await client.get("/tenants/acme-corp/health", headers={"X-API-Key": api_key})
    assert (await health.json())["healthy"] is True, await health.text()


async def test_the_guides_tenant_aware_calls_and_isolation_check(client: Client) -> None:
    key_a = await create_tenant(client, "tenant-a")
    key_b = await create_tenant(client, "tenant-b")

    stats = await client.get("/state/stats", headers={"X-API-Key": key_a})
    assert stats.status == 200
    assert (await stats.json())["tenantId"] == "tenant-a"
    listing = await client.get("/state/conversations?limit=10", headers={"X-API-Key": key_a})
    assert listing.status == 200
    assert (await listing.json())["items"] == []

    mapping = await client.post(
        "/state/mapping",
        headers={"X-API-Key": key_a, "Content-Type": "application/json"},
        data=json.dumps({"waId": "1234567890", "contactName": "John Doe"}),
    )
    assert mapping.status == 201, await mapping.text()
    other = await client.get("/state/mapping/1234567890", headers={"X-API-Key": key_b})
    # Response: 404 Mapping not found (correct - data isolated)
    assert other.status == 404
    own = await client.get("/state/mapping/1234567890", headers={"X-API-Key": key_a})
    assert (await own.json())["contactName"] == "John Doe"
    listing = await client.get("/state/conversations?limit=10", headers={"X-API-Key": key_a})
    assert [m["waId"] for m in (await listing.json())["items"]] == ["1234567890"]

    # "Monitoring multi-tenant system" and "Common issues": the admin reads.
    everyone = await client.get("/tenants", headers=ADMIN)
    assert [t["tenantId"] for t in (await everyone.json())["items"]] == ["tenant-a", "tenant-b"]
    one = await client.get("/tenants/tenant-a", headers=ADMIN)
    assert (await one.json())["status"] == "active"


async def test_the_guides_migration_to_a_default_tenant(
    client: Client, pool: asyncpg.Pool, tenancy: Tenancy
) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE SCHEMA legacy; "
            "CREATE TABLE legacy.conversation_mappings (wa_id text, contact_name text); "
            "INSERT INTO legacy.conversation_mappings VALUES ('15550001', 'Ann')"
        )
    # The guide's `curl -X POST .../tenants -d '{"tenantId":"default","name":"Default Tenant"}'`
    # sends no Content-Type of JSON (curl -d says form-urlencoded): wagen reads it all the same.
    created = await client.post(
        "/tenants",
        data=b'{"tenantId":"default","name":"Default Tenant"}',
        headers={**ADMIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    body = await created.json()
    assert created.status == 201, body
    result = await migrate_default(pool, tenancy.tenants, Actor(label="admin:test"))
    assert result.created is False
    assert result.moved == {"conversation_mappings": 1}
    listing = await client.get("/state/conversations", headers={"X-API-Key": body["apiKey"]})
    assert [m["contactName"] for m in (await listing.json())["items"]] == ["Ann"]
