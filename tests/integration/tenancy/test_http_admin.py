"""The admin API over HTTP: auth, tenant lifecycle, API keys."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Callable

import asyncpg
import pytest

from pipeline.settings import WagenSettings
from tenancy.db.scope import platform_tx
from tenancy.http.context import TENANCY_KEY
from tenancy.http.routes import ROUTES, RouteSpec
from tests.integration.tenancy.conftest import (
    ADMIN,
    Client,
    admin_jwt,
    create_tenant,
    tenant_jwt,
)

ADMIN_ROUTES = [r for r in ROUTES if r.scope == "admin"]


def _url(path: str) -> str:
    return (
        path.replace("{tenantId}", "alpha")
        .replace("{keyId}", "00000000-0000-0000-0000-000000000000")
        .replace("{kind}", "meta")
    )


@pytest.mark.parametrize("spec", ADMIN_ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_admin_routes_need_admin_auth(client: Client, spec: RouteSpec) -> None:
    key = await create_tenant(client, "alpha")
    url = _url(spec.path)
    cases = [
        ({}, 401, "unauthenticated"),
        ({"Authorization": "Bearer wrong-token"}, 401, "unauthenticated"),
        ({"X-API-Key": key}, 403, "forbidden"),
        ({"Authorization": f"Bearer {tenant_jwt('alpha')}"}, 403, "forbidden"),
    ]
    for headers, status, code in cases:
        response = await client.request(spec.method, url, headers=headers, json={})
        body = await response.json()
        assert response.status == status, (headers, body)
        assert body["error"]["code"] == code


async def test_admin_jwt_with_the_role_is_accepted(client: Client) -> None:
    response = await client.get("/tenants", headers={"Authorization": f"Bearer {admin_jwt()}"})
    assert response.status == 200


@pytest.mark.parametrize(
    ("token", "status"),
    [
        # Signed with the tenant key, with the admin role and even the admin audience.
        (lambda: tenant_jwt(None, roles=["wagen-admin"], aud="wagen-admin"), 403),
        # The admin key, but no audience, or another one.
        (lambda: admin_jwt(aud=None), 401),
        (lambda: admin_jwt(aud="wagen-tenants"), 401),
        # The admin key and audience, but not the role.
        (lambda: admin_jwt(roles=["viewer"]), 403),
    ],
    ids=["tenant-key", "no-aud", "other-aud", "no-role"],
)
async def test_admin_jwts_need_their_own_key_audience_and_role(
    client: Client, token: Callable[[], str], status: int
) -> None:
    # Signed when the test runs, not when it is collected: a long suite outlives the expiry.
    headers = {"Authorization": f"Bearer {token()}"}
    response = await client.get("/tenants", headers=headers)
    assert response.status == status, await response.json()


async def test_tenant_lifecycle(client: Client) -> None:
    created = await client.post(
        "/tenants",
        json={"tenantId": "alpha", "name": "Alpha", "subdomain": "alpha", "plan": "professional"},
        headers=ADMIN,
    )
    body = await created.json()
    assert created.status == 201
    assert body["tenant"]["status"] == "active"
    assert body["tenant"]["plan"] == "professional"
    assert re.fullmatch(r"wk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", body["apiKey"])
    assert body["apiKeyInfo"]["prefix"] in body["apiKey"]
    assert body["message"] == "Tenant created successfully"

    duplicate = await client.post(
        "/tenants", json={"tenantId": "alpha", "name": "A"}, headers=ADMIN
    )
    assert duplicate.status == 409
    bad_plan = await client.post(
        "/tenants", json={"tenantId": "b", "name": "B", "plan": "gold"}, headers=ADMIN
    )
    assert bad_plan.status == 400
    await create_tenant(client, "bravo")

    page1 = await (await client.get("/tenants?limit=1", headers=ADMIN)).json()
    assert [t["tenantId"] for t in page1["items"]] == ["alpha"]
    assert page1["items"][0]["usage"]["monthlyLimit"] == 10_000
    page2 = await (
        await client.get(f"/tenants?limit=1&cursor={page1['nextCursor']}", headers=ADMIN)
    ).json()
    assert [t["tenantId"] for t in page2["items"]] == ["bravo"]
    assert page2["nextCursor"] is None

    patched = await client.patch(
        "/tenants/alpha", json={"name": "Alpha Ltd", "rateLimit": 7}, headers=ADMIN
    )
    assert (await patched.json())["rateLimit"] == 7
    assert (await (await client.get("/tenants/alpha", headers=ADMIN)).json())["name"] == "Alpha Ltd"
    assert (await client.get("/tenants/nobody", headers=ADMIN)).status == 404

    deleted = await client.delete("/tenants/alpha", headers=ADMIN)
    assert (await deleted.json())["status"] == "deleted"
    keys = await (await client.get("/tenants/alpha/api-keys", headers=ADMIN)).json()
    assert all(k["revokedAt"] for k in keys["items"])


async def test_keys_are_stored_as_peppered_hmac(
    client: Client, pool: asyncpg.Pool, tenancy_settings: WagenSettings
) -> None:
    key = await create_tenant(client, "alpha")
    async with platform_tx(pool) as conn:
        row = await conn.fetchrow("SELECT prefix, key_hash FROM tenant_api_keys")
        dump = await conn.fetchval("SELECT string_agg(t::text, '') FROM tenant_api_keys t")
    assert row is not None
    assert key.split("_")[1] == row["prefix"]
    pepper = tenancy_settings.tenancy.key_pepper.get_secret_value().encode()
    assert bytes(row["key_hash"]) == hmac.new(pepper, key.encode(), hashlib.sha256).digest()
    assert key.split("_", 2)[2] not in dump


async def test_ten_keys_work_independently_and_revocation_is_immediate(client: Client) -> None:
    await create_tenant(client, "alpha")
    created = [
        await (
            await client.post("/tenants/alpha/api-keys", json={"name": f"k{i}"}, headers=ADMIN)
        ).json()
        for i in range(10)
    ]
    statuses = await asyncio.gather(
        *(client.get("/state/stats", headers={"X-API-Key": k["key"]}) for k in created)
    )
    assert [s.status for s in statuses] == [200] * 10

    revoked = created[3]
    gone = await client.delete(f"/tenants/alpha/api-keys/{revoked['keyId']}", headers=ADMIN)
    assert gone.status == 200
    assert (await client.get("/state/stats", headers={"X-API-Key": revoked["key"]})).status == 401
    for other in created[:3] + created[4:]:
        response = await client.get("/state/stats", headers={"X-API-Key": other["key"]})
        assert response.status == 200

    listing = await (await client.get("/tenants/alpha/api-keys", headers=ADMIN)).json()
    assert len(listing["items"]) == 11
    assert all("key" not in item and "keyHash" not in item for item in listing["items"])
    assert [i["prefix"] for i in listing["items"] if i["revokedAt"]] == [revoked["prefix"]]
    # Another tenant cannot revoke alpha's keys through its own path.
    await create_tenant(client, "bravo")
    other = await client.delete(f"/tenants/bravo/api-keys/{created[0]['keyId']}", headers=ADMIN)
    assert other.status == 404


async def test_last_used_is_written_in_batches(client: Client, pool: asyncpg.Pool) -> None:
    key = await create_tenant(client, "alpha")
    for _ in range(5):
        assert (await client.get("/state/stats", headers={"X-API-Key": key})).status == 200
    async with platform_tx(pool) as conn:
        assert await conn.fetchval("SELECT last_used_at FROM tenant_api_keys") is None
    flushed = await client.app[TENANCY_KEY].keys.flush_last_used()
    assert flushed == 1  # five requests, one key, one write
    async with platform_tx(pool) as conn:
        assert await conn.fetchval("SELECT last_used_at FROM tenant_api_keys") is not None
