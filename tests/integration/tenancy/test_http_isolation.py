"""The seed's isolation check over HTTP, with each way of resolving a tenant."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.tenancy.conftest import (
    ADMIN,
    BASE_DOMAIN,
    Client,
    create_tenant,
    tenant_jwt,
)

Headers = Callable[[str, str], dict[str, str]]


def _by_key(tenant_id: str, key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def _by_jwt(tenant_id: str, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant_jwt(tenant_id)}"}


def _by_host(tenant_id: str, key: str) -> dict[str, str]:
    # The subdomain selects the tenant; the key still proves who is calling.
    return {"Host": f"{tenant_id}.{BASE_DOMAIN}", "X-API-Key": key}


@pytest.mark.parametrize("headers", [_by_key, _by_jwt, _by_host], ids=["api_key", "jwt", "host"])
async def test_mapping_of_a_is_404_for_b(client: Client, headers: Headers) -> None:
    keys = {t: await create_tenant(client, t, subdomain=t) for t in ("alpha", "bravo")}
    a, b = headers("alpha", keys["alpha"]), headers("bravo", keys["bravo"])

    created = await client.post(
        "/state/mapping", json={"waId": "15550001", "contactName": "Ann"}, headers=a
    )
    assert created.status == 201, await created.json()
    mine = await client.get("/state/mapping/15550001", headers=a)
    assert mine.status == 200
    assert (await mine.json())["contactName"] == "Ann"

    theirs = await client.get("/state/mapping/15550001", headers=b)
    missing = await client.get("/state/mapping/15550999", headers=b)
    # Another tenant's mapping is indistinguishable from one that does not exist.
    assert theirs.status == missing.status == 404
    assert await theirs.json() == await missing.json()

    listing = await client.get("/state/conversations", headers=b)
    assert (await listing.json())["items"] == []
    stats = await (await client.get("/state/stats", headers=b)).json()
    assert stats["tenantId"] == "bravo"
    assert stats["totalMappings"] == 0
    stats_a = await (await client.get("/state/stats", headers=a)).json()
    assert stats_a["totalMappings"] == 1


async def test_no_credential_is_401_and_unknown_host_too(client: Client) -> None:
    await create_tenant(client, "alpha", subdomain="alpha")
    for headers in ({}, {"Host": f"nobody.{BASE_DOMAIN}"}, {"Host": "alpha.elsewhere.test"}):
        response = await client.get("/state/stats", headers=headers)
        body = await response.json()
        assert response.status == 401, body
        assert body["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "wk_000000000000_" + "A" * 43},
        {"X-API-Key": "not-a-key"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic abc"},
    ],
)
async def test_bad_credentials_are_401_and_never_fall_through(
    client: Client, headers: dict[str, str]
) -> None:
    await create_tenant(client, "alpha", subdomain="alpha")
    # A valid Host is present, but the first credential present decides, and it is bad.
    response = await client.get("/state/stats", headers={**headers, "Host": f"alpha.{BASE_DOMAIN}"})
    assert response.status == 401


async def test_jwt_checks_exp_and_tenant_claim(client: Client) -> None:
    await create_tenant(client, "alpha")
    expired = tenant_jwt("alpha", exp=1)
    no_tenant = tenant_jwt(None)
    unknown = tenant_jwt("nobody")
    for token in (expired, no_tenant, unknown):
        response = await client.get("/state/stats", headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401


async def test_suspended_tenant_is_403_then_active_again(client: Client) -> None:
    key = await create_tenant(client, "alpha")
    patch = await client.patch("/tenants/alpha", json={"status": "suspended"}, headers=ADMIN)
    assert patch.status == 200
    response = await client.get("/state/stats", headers={"X-API-Key": key})
    body = await response.json()
    assert response.status == 403
    assert body["error"]["code"] == "tenant_suspended"
    await client.patch("/tenants/alpha", json={"status": "active"}, headers=ADMIN)
    assert (await client.get("/state/stats", headers={"X-API-Key": key})).status == 200


async def test_deleted_tenant_key_is_401(client: Client) -> None:
    key = await create_tenant(client, "alpha")
    assert (await client.delete("/tenants/alpha", headers=ADMIN)).status == 200
    assert (await client.get("/state/stats", headers={"X-API-Key": key})).status == 401
