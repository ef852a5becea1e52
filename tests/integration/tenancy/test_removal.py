"""Removing credentials and deleting or suspending a tenant: the Genesys integration and the
Meta subscription end up as the operator chose (``disconnect``), and only what wagen made
is ever undone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.sandbox.common import FailureRule
from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.credential_models import GenesysCredentials
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

NUMBER, TOKEN, WABA = "106540352242922", "EAAG-removal-token", "777"
META = {"appSecret": "app-sec", "verifyToken": "v-t", "accessToken": TOKEN, "phoneNumberId": NUMBER}
GENESYS = {"clientId": "rm-client", "clientSecret": "rm-secret", "region": "mypurecloud.com"}


@pytest.fixture
async def acme(client: Client, vendor_sims: VendorSims, tenancy: Tenancy) -> str:
    """A tenant onboarded with both credentials; its integration id."""
    await create_tenant(client, "acme")
    vendor_sims.meta_number(NUMBER, TOKEN, waba_id=WABA)
    vendor_sims.genesys_client("rm-client", "rm-secret")
    for kind, creds in (("meta", META), ("genesys", GENESYS)):
        response = await client.post(
            "/tenants/acme/credentials", json={"type": kind, "credentials": creds}, headers=ADMIN
        )
        assert response.status == 201, await response.text()
    stored = await tenancy.credentials.read("acme", "genesys")
    assert isinstance(stored, GenesysCredentials)
    return stored.integration_id


def _subscribed(sims: VendorSims) -> bool:
    return bool(sims.meta.subscriptions.get(WABA))


async def test_removing_credentials_undoes_wagens_vendor_side_by_default(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    removed = await client.delete("/tenants/acme/credentials/genesys", headers=ADMIN)
    body = await removed.json()
    assert removed.status == 200, body
    assert body == {
        "type": "genesys",
        "removed": True,
        "vendor": [f"genesys integration {acme} deleted"],
    }
    assert acme not in vendor_sims.genesys.integrations
    assert await tenancy.credentials.read("acme", "genesys") is None

    removed = await client.delete("/tenants/acme/credentials/meta", headers=ADMIN)
    assert removed.status == 200, await removed.text()
    assert not _subscribed(vendor_sims)
    assert await tenancy.credentials.read("acme", "meta") is None
    assert await tenancy.numbers.owner(NUMBER) is None  # another tenant may claim it now
    listing = await client.get("/tenants/acme/credentials", headers=ADMIN)
    assert (await listing.json())["items"] == []
    again = await client.delete("/tenants/acme/credentials/meta", headers=ADMIN)
    assert again.status == 404


async def test_removing_with_disconnect_false_leaves_the_vendor_side(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    for kind in ("genesys", "meta"):
        removed = await client.delete(
            f"/tenants/acme/credentials/{kind}?disconnect=false", headers=ADMIN
        )
        assert removed.status == 200, await removed.text()
    assert acme in vendor_sims.genesys.integrations
    assert _subscribed(vendor_sims)
    assert await tenancy.credentials.describe("acme") == []


async def test_an_integration_wagen_did_not_create_is_never_deleted(
    client: Client, vendor_sims: VendorSims
) -> None:
    await create_tenant(client, "acme")
    vendor_sims.genesys_client("rm-client", "rm-secret")
    vendor_sims.genesys_integration("operators-own", "operators-secret-0123")
    stored = await client.post(
        "/tenants/acme/credentials",
        json={"type": "genesys", "credentials": {**GENESYS, "integrationId": "operators-own"}},
        headers=ADMIN,
    )
    assert stored.status == 201, await stored.text()
    removed = await client.delete("/tenants/acme/credentials/genesys", headers=ADMIN)
    assert "not created by wagen" in (await removed.json())["vendor"][0]
    assert "operators-own" in vendor_sims.genesys.integrations


async def test_a_deleted_tenant_is_disconnected_unless_the_operator_keeps_it(
    client: Client, acme: str, vendor_sims: VendorSims
) -> None:
    deleted = await client.delete("/tenants/acme", headers=ADMIN)
    body = await deleted.json()
    assert deleted.status == 200, body
    assert body["status"] == "deleted"
    assert len(body["vendor"]) == 2
    assert acme not in vendor_sims.genesys.integrations
    assert not _subscribed(vendor_sims)

    await create_tenant(client, "bravo")
    vendor_sims.genesys_client("bravo-client", "bravo-secret")
    stored = await client.post(
        "/tenants/bravo/credentials",
        json={
            "type": "genesys",
            "credentials": {**GENESYS, "clientId": "bravo-client", "clientSecret": "bravo-secret"},
        },
        headers=ADMIN,
    )
    assert stored.status == 201
    kept = await client.delete("/tenants/bravo?disconnect=false", headers=ADMIN)
    assert kept.status == 200
    assert (await kept.json())["vendor"] == ["vendor side kept (disconnect=false)"]
    assert len(vendor_sims.genesys.integrations) == 1


async def test_a_delete_while_genesys_is_down_finishes_when_repeated(
    client: Client, acme: str, vendor_sims: VendorSims
) -> None:
    vendor_sims.genesys.failures.add(FailureRule(kind="server_error", count=50))
    deleted = await client.delete("/tenants/acme", headers=ADMIN)
    assert deleted.status == 503, await deleted.text()
    tenant = await client.get("/tenants/acme", headers=ADMIN)
    assert (await tenant.json())["status"] == "deleted"  # traffic stopped at once
    assert acme in vendor_sims.genesys.integrations
    vendor_sims.genesys.failures.clear()
    again = await client.delete("/tenants/acme", headers=ADMIN)
    assert again.status == 200, await again.text()
    assert acme not in vendor_sims.genesys.integrations


@pytest.fixture
async def fresh_gateway(tenancy_settings: WagenSettings) -> AsyncIterator[Client]:
    """A second gateway replica (its caches empty)."""
    test_client: Client = TestClient(TestServer(create_app(tenancy_settings), host="127.0.0.1"))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def test_a_suspended_tenant_keeps_its_vendor_side_and_its_webhooks_get_403(
    client: Client, acme: str, vendor_sims: VendorSims, fresh_gateway: Client
) -> None:
    patched = await client.patch("/tenants/acme", json={"status": "suspended"}, headers=ADMIN)
    assert patched.status == 200
    assert acme in vendor_sims.genesys.integrations
    assert _subscribed(vendor_sims)
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    refused = await fresh_gateway.post(
        "/webhooks/meta/acme", data=body, headers={SIGNATURE_HEADER: sign_meta(body, "app-sec")}
    )
    assert refused.status == 403
    lifted = await client.patch("/tenants/acme", json={"status": "active"}, headers=ADMIN)
    assert lifted.status == 200
    health = await client.get("/tenants/acme/health", headers=ADMIN)
    assert (await health.json())["healthy"] is True  # nothing to redo after the suspension
