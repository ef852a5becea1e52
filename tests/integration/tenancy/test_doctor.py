"""The doctor: every connection of a tenant checked now, over HTTP (admin or the tenant
itself), each broken connection a failed row, and the facts it reports."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest

from connectors.signatures import SIGNATURE_HEADER, sign_genesys
from tenancy.credential_models import GenesysCredentials
from tenancy.db.scope import tenant_tx
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

NUMBER, TOKEN = "106540352242922", "EAAG-doctor-token"
META = {"appSecret": "a-s", "verifyToken": "v-t", "accessToken": TOKEN, "phoneNumberId": NUMBER}
GENESYS = {"clientId": "doc-client", "clientSecret": "doc-secret", "region": "mypurecloud.de"}


@pytest.fixture
async def acme(client: Client, vendor_sims: VendorSims) -> str:
    """A tenant onboarded with both credentials; its API key."""
    key = await create_tenant(client, "acme")
    vendor_sims.meta_number(NUMBER, TOKEN, waba_id="4242")
    vendor_sims.genesys_client("doc-client", "doc-secret")
    for kind, creds in (("meta", META), ("genesys", GENESYS)):
        response = await client.post(
            "/tenants/acme/credentials", json={"type": kind, "credentials": creds}, headers=ADMIN
        )
        assert response.status == 201, await response.text()
    return key


async def _report(client: Client, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await client.get("/tenants/acme/health", headers=headers or ADMIN)
    assert response.status == 200, await response.text()
    report: dict[str, Any] = await response.json()
    return report


def _status(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


async def test_a_connected_tenant_is_healthy_and_may_read_its_own_report(
    client: Client, acme: str
) -> None:
    report = await _report(client, {"X-API-Key": acme})
    assert report["healthy"] is True, report
    assert _status(report) == {
        "vault.genesys": "ok",
        "genesys.token": "ok",
        "genesys.integration": "ok",
        "genesys.integration_active": "ok",
        "genesys.webhook_url": "ok",
        "vault.meta": "ok",
        "meta.token": "ok",
        "meta.phone_number": "ok",
        "meta.subscription": "ok",
        "webhooks.meta": "info",
        "webhooks.genesys": "info",
        "delivery.last_error": "info",
    }
    other = await create_tenant(client, "bravo")
    foreign = await client.get("/tenants/acme/health", headers={"X-API-Key": other})
    assert foreign.status == 404  # another tenant's report looks like a missing tenant
    anonymous = await client.get("/tenants/acme/health")
    assert anonymous.status == 401


async def test_each_broken_connection_is_a_failed_check(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    stored = await tenancy.credentials.read("acme", "genesys")
    assert isinstance(stored, GenesysCredentials)
    integrations = vendor_sims.genesys.integrations
    integrations[stored.integration_id] = integrations[stored.integration_id].model_copy(
        update={"webhook_url": "https://elsewhere.example/hook"}
    )
    number = vendor_sims.meta.numbers[NUMBER]
    vendor_sims.meta.numbers[NUMBER] = number.model_copy(update={"status": "DISCONNECTED"})
    vendor_sims.meta.subscriptions.clear()
    report = await _report(client)
    assert report["healthy"] is False
    status = _status(report)
    assert status["genesys.webhook_url"] == "failed"
    assert status["meta.phone_number"] == "failed"
    assert status["meta.subscription"] == "failed"
    assert status["genesys.token"] == status["meta.token"] == "ok"

    del integrations[stored.integration_id]
    vendor_sims.meta.revoked.add(TOKEN)
    vendor_sims.genesys_client("doc-client", "rotated-at-genesys")  # our secret is stale
    status = _status(await _report(client))
    assert status["genesys.token"] == "failed"
    assert status["genesys.integration"] == "skipped"
    assert status["meta.token"] == "failed"
    assert status["meta.subscription"] == "skipped"


async def test_a_tenant_without_credentials_fails_the_vault_checks(client: Client) -> None:
    await create_tenant(client, "acme")
    report = await _report(client)
    assert report["healthy"] is False
    assert _status(report)["vault.genesys"] == _status(report)["vault.meta"] == "failed"


async def test_the_last_webhook_and_the_last_delivery_error_are_reported_with_when(
    client: Client, acme: str, tenancy: Tenancy, pool: asyncpg.Pool
) -> None:
    stored = await tenancy.credentials.read("acme", "genesys")
    assert isinstance(stored, GenesysCredentials)
    body = b'{"id":"1","type":"Text","text":"hi","direction":"Outbound"}'
    signature = sign_genesys(body, stored.outbound_webhook_secret)
    posted = await client.post(
        "/webhooks/genesys/acme", data=body, headers={SIGNATURE_HEADER: signature}
    )
    assert posted.status == 200
    error = {"error": "WhatsApp 131047: window closed", "error_code": "meta_window_closed"}
    async with tenant_tx(pool, "acme") as conn:
        await conn.execute(
            "INSERT INTO message_tracking (tenant_id, direction, wa_id, genesys_message_id, "
            "status, error) VALUES ('acme', 'outbound', '5511987654321', 'g-1', 'failed', $1)",
            json.dumps(error),
        )
    async with asyncio.timeout(10):
        while True:  # the gateway notes webhooks in the background
            checks = {c["name"]: c for c in (await _report(client))["checks"]}
            if checks["webhooks.genesys"]["at"] is not None:
                break
            await asyncio.sleep(0.1)
    assert checks["webhooks.meta"]["at"] is None
    last = checks["delivery.last_error"]
    assert "window closed" in last["detail"]
    assert "5511987654321" in last["detail"]
    assert last["at"] is not None
