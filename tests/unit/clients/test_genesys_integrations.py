"""The integrations API client against the Genesys simulator: create (asynchronously
completed), find by name across pages, update, delete, permissions and org isolation."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysError
from connectors.genesys.integrations import GenesysIntegrations, missing_permissions
from connectors.sandbox.genesys_state import ClientConfig, IntegrationConfig, IntegrationCreation
from schemas.genesys.integrations import OpenIntegrationRequest, OpenIntegrationUpdateRequest
from tests.unit.clients.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    GenesysSim,
    genesys_tenant,
)

SECRET = "integration-secret-0123456789"


def _request(name: str = "wagen acme") -> OpenIntegrationRequest:
    return OpenIntegrationRequest(
        name=name,
        outbound_notification_webhook_url="https://bridge.example/webhooks/genesys/acme",
        outbound_notification_webhook_signature_secret_token=SECRET,
    )


async def test_a_created_integration_is_initiated_then_completed(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    genesys_sim.sandbox.creation = IntegrationCreation(delay_s=0.2)
    api, tenant = GenesysIntegrations(genesys_client), genesys_tenant(genesys_sim)
    created = await api.create(tenant, _request())
    assert created.create_status == "Initiated"
    url = created.outbound_notification_webhook_url
    assert url is not None
    assert url.endswith("/webhooks/genesys/acme")
    await asyncio.sleep(0.3)
    found = await api.get(tenant, created.id)
    assert found is not None
    assert found.create_status == "Completed"
    stored = genesys_sim.sandbox.integrations[created.id]
    assert stored.webhook_secret == SECRET
    # The secret never comes back from Genesys.
    async with genesys_sim.session.get(
        f"{genesys_sim.url}/api/v2/conversations/messaging/integrations/open/{created.id}",
        headers={"Authorization": f"Bearer {await genesys_client.tokens.token(tenant)}"},
    ) as response:
        assert SECRET not in await response.text()


async def test_find_by_name_reads_every_page_and_update_and_delete_apply(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    for n in range(130):
        genesys_sim.sandbox.integrations[f"i-{n}"] = IntegrationConfig(
            integration_id=f"i-{n}", name=f"other {n}"
        )
    api, tenant = GenesysIntegrations(genesys_client), genesys_tenant(genesys_sim)
    created = await api.create(tenant, _request("wagen last"))
    found = await api.find_by_name(tenant, "wagen last")
    assert found is not None
    assert found.id == created.id
    assert await api.find_by_name(tenant, "nobody") is None

    updated = await api.update(
        tenant,
        created.id,
        OpenIntegrationUpdateRequest(
            name="wagen last",
            outbound_notification_webhook_url="https://elsewhere.example/hook",
            outbound_notification_webhook_signature_secret_token="another-secret-0123456",
        ),
    )
    assert updated.outbound_notification_webhook_url == "https://elsewhere.example/hook"
    assert genesys_sim.sandbox.integrations[created.id].webhook_secret == "another-secret-0123456"
    assert await api.delete(tenant, created.id) is True
    assert await api.get(tenant, created.id) is None
    assert await api.delete(tenant, created.id) is False


async def test_a_missing_permission_is_a_403_naming_it(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    genesys_sim.sandbox.clients[CLIENT_ID] = ClientConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        permissions=("messaging:integration:view",),
    )
    api, tenant = GenesysIntegrations(genesys_client), genesys_tenant(genesys_sim)
    with pytest.raises(GenesysError) as caught:
        await api.create(tenant, _request())
    assert caught.value.http_status == 403
    assert caught.value.genesys_code == "missing.permissions"
    assert missing_permissions(caught.value) == ["messaging:integration:add"]
    assert await api.find_by_name(tenant, "x") is None  # view is granted


async def test_another_orgs_integration_does_not_exist_for_this_client(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    genesys_sim.sandbox.integrations["theirs"] = IntegrationConfig(
        integration_id="theirs", name="wagen acme", org_id="another-org"
    )
    api, tenant = GenesysIntegrations(genesys_client), genesys_tenant(genesys_sim)
    assert await api.get(tenant, "theirs") is None
    assert await api.find_by_name(tenant, "wagen acme") is None
    assert await api.delete(tenant, "theirs") is False
    assert "theirs" in genesys_sim.sandbox.integrations


async def test_the_simulator_refuses_a_body_the_sdk_model_refuses(
    genesys_client: GenesysClient, genesys_sim: GenesysSim, session: aiohttp.ClientSession
) -> None:
    token = await genesys_client.tokens.token(genesys_tenant(genesys_sim))
    body = {
        "name": "x",
        "outboundNotificationWebhookUrl": "https://bridge.example/hook",
        "outboundNotificationWebhookSignatureSecretToken": "too-short",
    }
    async with session.post(
        f"{genesys_sim.url}/api/v2/conversations/messaging/integrations/open",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["code"] == "bad.request"
    assert len(genesys_sim.sandbox.integrations) == 1  # the fixture's own only
