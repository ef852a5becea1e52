"""Rotating the Genesys webhook secret without a gap: the new secret in Vault and on the
integration, the previous one still accepted until the window ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.sandbox.common import FailureRule
from connectors.signatures import SIGNATURE_HEADER, sign_genesys
from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.credential_models import GenesysCredentials
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

GUIDE = {"clientId": "rot-client", "clientSecret": "rot-client-secret", "region": "eu-west-1"}
BODY = b'{"id":"1","type":"Text","text":"hi","direction":"Outbound"}'


@pytest.fixture
async def short_window(tenancy_settings: WagenSettings, gateway_port: int) -> AsyncIterator[Client]:
    """The gateway with a three-second rotation window."""
    onboarding = tenancy_settings.onboarding.model_copy(update={"rotation_window_s": 3.0})
    settings = tenancy_settings.model_copy(update={"onboarding": onboarding})
    server = TestServer(create_app(settings), host="127.0.0.1", port=gateway_port)
    test_client: Client = TestClient(server)
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def _onboarded(client: Client, sims: VendorSims, tenancy: Tenancy) -> GenesysCredentials:
    await create_tenant(client, "acme")
    sims.genesys_client("rot-client", "rot-client-secret")
    stored = await client.post(
        "/tenants/acme/credentials",
        json={"type": "genesys", "credentials": GUIDE},
        headers=ADMIN,
    )
    assert stored.status == 201, await stored.text()
    found = await tenancy.credentials.read("acme", "genesys")
    assert isinstance(found, GenesysCredentials)
    return found


async def _post(client: Client, secret: str) -> int:
    response = await client.post(
        "/webhooks/genesys/acme",
        data=BODY,
        headers={SIGNATURE_HEADER: sign_genesys(BODY, secret)},
    )
    return response.status


async def test_rotation_sets_the_new_secret_in_genesys_and_accepts_both_for_the_window(
    short_window: Client, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    client = short_window
    before = await _onboarded(client, vendor_sims, tenancy)
    old = before.outbound_webhook_secret
    assert await _post(client, old) == 200

    rotated = await client.post("/tenants/acme/credentials/genesys/rotate", headers=ADMIN)
    body = await rotated.json()
    assert rotated.status == 200, body
    after = await tenancy.credentials.read("acme", "genesys")
    assert isinstance(after, GenesysCredentials)
    new = after.outbound_webhook_secret
    assert new != old
    assert new not in str(body)
    assert after.previous_outbound_webhook_secret == old
    # Genesys signs with the new secret from now on.
    assert vendor_sims.genesys.integrations[after.integration_id].webhook_secret == new

    assert await _post(client, new) == 200
    assert await _post(client, old) == 200  # a webhook Genesys signed before the change
    await asyncio.sleep(3.5)
    assert await _post(client, old) == 401  # the window is over
    assert await _post(client, new) == 200


async def test_a_rotation_genesys_refuses_leaves_the_secret_as_it_was(
    client: Client, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    before = await _onboarded(client, vendor_sims, tenancy)
    vendor_sims.genesys.failures.add(
        FailureRule(kind="server_error", operation="integration_update", count=50)
    )
    rotated = await client.post("/tenants/acme/credentials/genesys/rotate", headers=ADMIN)
    assert rotated.status == 503, await rotated.text()
    after = await tenancy.credentials.read("acme", "genesys")
    assert isinstance(after, GenesysCredentials)
    assert after.outbound_webhook_secret == before.outbound_webhook_secret
    integration = vendor_sims.genesys.integrations[after.integration_id]
    assert integration.webhook_secret == before.outbound_webhook_secret
    assert await _post(client, before.outbound_webhook_secret) == 200


async def test_rotating_without_genesys_credentials_is_404(client: Client) -> None:
    await create_tenant(client, "acme")
    rotated = await client.post("/tenants/acme/credentials/genesys/rotate", headers=ADMIN)
    assert rotated.status == 404
