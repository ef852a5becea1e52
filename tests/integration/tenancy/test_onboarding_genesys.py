"""Genesys onboarding against the simulator: provisioned from a client id, secret and region,
every refusal a specific error, nothing half-written when Genesys fails midway."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from connectors.sandbox.common import FailureRule
from connectors.sandbox.genesys_state import IntegrationCreation
from tenancy.audit import Actor
from tenancy.credential_models import GenesysCredentials
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

CLIENT_ID, CLIENT_SECRET = "acme-client", "acme-client-secret-0123"
GUIDE = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "region": "mypurecloud.ie"}
ALL_BUT_ADD = (
    "messaging:integration:view",
    "messaging:integration:edit",
    "messaging:integration:delete",
)


async def _connect(client: Client, tenant: str, credentials: dict[str, Any]) -> tuple[int, Any]:
    response = await client.post(
        f"/tenants/{tenant}/credentials",
        json={"type": "genesys", "credentials": credentials},
        headers=ADMIN,
    )
    return response.status, await response.json()


async def _stored(tenancy: Tenancy, tenant: str) -> GenesysCredentials | None:
    found = await tenancy.credentials.read(tenant, "genesys")
    assert found is None or isinstance(found, GenesysCredentials)
    return found


def _operations(sims: VendorSims) -> list[str]:
    return [e["operation"] for e in sims.genesys.requests.entries]


@pytest.fixture
async def acme(client: Client, vendor_sims: VendorSims) -> str:
    await create_tenant(client, "acme")
    vendor_sims.genesys_client(CLIENT_ID, CLIENT_SECRET)
    return "acme"


async def test_an_integration_is_created_pointing_here_with_a_secret_only_vault_knows(
    client: Client,
    acme: str,
    vendor_sims: VendorSims,
    tenancy: Tenancy,
    gateway_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    vendor_sims.genesys.creation = IntegrationCreation(delay_s=0.3)
    status, body = await _connect(client, acme, GUIDE)
    assert status == 201, body
    connection = body["genesys"]
    assert connection["provisioning"] == "created"
    assert connection["createStatus"] == "Completed"  # waited for, not just Initiated
    assert connection["integrationName"] == "wagen acme"
    stored = await _stored(tenancy, acme)
    assert stored is not None
    assert stored.integration_id == connection["integrationId"]
    assert stored.integration_created_by_wagen
    integration = vendor_sims.genesys.integrations[stored.integration_id]
    assert integration.webhook_url == f"http://127.0.0.1:{gateway_port}/webhooks/genesys/acme"
    assert integration.webhook_secret == stored.outbound_webhook_secret
    assert len(stored.outbound_webhook_secret) > 15
    assert stored.outbound_webhook_secret not in str(body)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert stored.outbound_webhook_secret not in logged
    assert CLIENT_SECRET not in logged
    assert _operations(vendor_sims).count("integration_get") >= 1  # polled until Completed


async def test_a_second_onboarding_adopts_the_tenants_integration_by_name(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    first = (await _connect(client, acme, GUIDE))[1]["genesys"]["integrationId"]
    old_secret = vendor_sims.genesys.integrations[first].webhook_secret
    await tenancy.credentials.remove(
        acme, "genesys", Actor(label="admin:test")
    )  # Vault forgot, Genesys did not
    status, body = await _connect(client, acme, GUIDE)
    assert status == 201, body
    assert body["genesys"]["provisioning"] == "updated"
    assert body["genesys"]["integrationId"] == first
    assert len(vendor_sims.genesys.integrations) == 1
    assert vendor_sims.genesys.integrations[first].webhook_secret != old_secret


async def test_an_integration_given_by_id_is_pointed_here_and_one_given_with_its_secret_kept(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy, gateway_port: int
) -> None:
    vendor_sims.genesys_integration("ops-own-integration", "the-operators-secret-0123")
    status, body = await _connect(client, acme, {**GUIDE, "integrationId": "ops-own-integration"})
    assert status == 201, body
    assert body["genesys"]["provisioning"] == "updated"
    assert body["genesys"]["createdByWagen"] is False
    integration = vendor_sims.genesys.integrations["ops-own-integration"]
    assert integration.webhook_url == f"http://127.0.0.1:{gateway_port}/webhooks/genesys/acme"
    stored = await _stored(tenancy, acme)
    assert stored is not None
    assert integration.webhook_secret == stored.outbound_webhook_secret

    vendor_sims.genesys_integration("as-is", "given-webhook-secret-0123")
    before = len(vendor_sims.genesys.requests.select({"operation": "integration_update"}))
    given = {
        **GUIDE,
        "integrationId": "as-is",
        "outboundWebhookSecret": "given-webhook-secret-0123",
    }
    status, body = await _connect(client, acme, given)
    assert status == 201, body
    assert body["genesys"]["provisioning"] == "adopted"
    after = len(vendor_sims.genesys.requests.select({"operation": "integration_update"}))
    assert after == before  # adopted as it is: nothing changed in Genesys
    stored = await _stored(tenancy, acme)
    assert stored is not None
    assert stored.outbound_webhook_secret == "given-webhook-secret-0123"


async def test_a_bad_client_is_422_genesys_credentials_invalid(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    status, body = await _connect(client, acme, {**GUIDE, "clientSecret": "wrong-secret"})
    assert status == 422, body
    assert body["error"]["code"] == "genesys_credentials_invalid"
    assert "wrong-secret" not in str(body)
    assert await _stored(tenancy, acme) is None
    assert vendor_sims.genesys.integrations == {}


@pytest.mark.parametrize(
    ("granted", "missing"),
    [
        (ALL_BUT_ADD, "messaging:integration:add"),
        (("messaging:integration:add",), "messaging:integration:view"),
    ],
)
async def test_a_missing_permission_is_422_naming_it(
    client: Client,
    acme: str,
    vendor_sims: VendorSims,
    tenancy: Tenancy,
    granted: tuple[str, ...],
    missing: str,
) -> None:
    vendor_sims.genesys_client(CLIENT_ID, CLIENT_SECRET, permissions=granted)
    status, body = await _connect(client, acme, GUIDE)
    assert status == 422, body
    assert body["error"]["code"] == "genesys_permission_missing"
    assert body["error"]["permission"] == missing
    assert missing in body["error"]["message"]
    assert await _stored(tenancy, acme) is None


async def test_an_unknown_region_is_422_listing_the_known_ones(
    client: Client, acme: str, vendor_sims: VendorSims
) -> None:
    status, body = await _connect(client, acme, {**GUIDE, "region": "mars-north-1"})
    assert status == 422, body
    assert body["error"]["code"] == "genesys_region_unknown"
    assert "eu-west-1" in body["error"]["knownRegions"]
    assert "mypurecloud.ie" in body["error"]["knownDomains"]
    assert "eu-west-1" in body["error"]["message"]
    assert vendor_sims.genesys.requests.entries == []  # the secret went nowhere


async def test_an_unknown_integration_id_is_422(client: Client, acme: str) -> None:
    status, body = await _connect(client, acme, {**GUIDE, "integrationId": "no-such-thing"})
    assert status == 422, body
    assert body["error"]["code"] == "genesys_integration_not_found"


@pytest.mark.parametrize("operation", ["token", "integration_list", "integration_create"])
async def test_genesys_down_is_503_and_nothing_is_written(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy, operation: str
) -> None:
    vendor_sims.genesys.failures.add(
        FailureRule(kind="server_error", operation=operation, count=50)
    )
    status, body = await _connect(client, acme, GUIDE)
    assert status == 503, body
    assert body["error"]["code"] == "genesys_unavailable"
    assert await _stored(tenancy, acme) is None
    assert vendor_sims.genesys.integrations == {}


@pytest.mark.parametrize(
    ("creation", "rule", "status", "code"),
    [
        # Genesys goes down while wagen waits for the new integration to become active.
        (
            IntegrationCreation(delay_s=5),
            FailureRule(kind="server_error", operation="integration_get", count=50),
            503,
            "genesys_unavailable",
        ),
        (IntegrationCreation(delay_s=0, outcome="Error"), None, 422, "genesys_integration_failed"),
        (IntegrationCreation(outcome="Initiated"), None, 503, "genesys_unavailable"),
    ],
    ids=["down-while-waiting", "creation-error", "never-completes"],
)
async def test_an_integration_that_does_not_become_active_is_taken_back(
    client: Client,
    acme: str,
    vendor_sims: VendorSims,
    tenancy: Tenancy,
    creation: IntegrationCreation,
    rule: FailureRule | None,
    status: int,
    code: str,
) -> None:
    vendor_sims.genesys.creation = creation
    if rule is not None:
        vendor_sims.genesys.failures.add(rule)
    answer_status, body = await _connect(client, acme, GUIDE)
    assert answer_status == status, body
    assert body["error"]["code"] == code
    assert await _stored(tenancy, acme) is None
    assert vendor_sims.genesys.integrations == {}  # created, then deleted again
    assert "integration_delete" in _operations(vendor_sims)


async def test_genesys_down_after_vault_was_written_restores_the_previous_version(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    assert (await _connect(client, acme, GUIDE))[0] == 201
    before = await tenancy.credentials.current(acme, "genesys")
    assert before is not None
    vendor_sims.genesys.failures.add(
        FailureRule(kind="server_error", operation="integration_update", count=50)
    )
    status, body = await _connect(client, acme, GUIDE)  # adopt by name: Vault first, then PATCH
    assert status == 503, body
    after = await tenancy.credentials.current(acme, "genesys")
    assert after is not None
    assert after.data == before.data  # the version before the failed attempt, as it was
    assert isinstance(after.credentials, GenesysCredentials)
    integration = vendor_sims.genesys.integrations[after.credentials.integration_id]
    assert integration.webhook_secret == after.credentials.outbound_webhook_secret


async def test_one_onboarding_per_tenant_and_type_at_a_time(
    client: Client, acme: str, vendor_sims: VendorSims
) -> None:
    vendor_sims.genesys.creation = IntegrationCreation(delay_s=1.0)
    first, second = await asyncio.gather(
        _connect(client, acme, GUIDE), _delayed(_connect(client, acme, GUIDE), 0.3)
    )
    assert sorted([first[0], second[0]]) == [201, 409], (first, second)
    busy = first if first[0] == 409 else second
    assert busy[1]["error"]["code"] == "onboarding_in_progress"
    assert len(vendor_sims.genesys.integrations) == 1


async def _delayed(call: Any, seconds: float) -> Any:
    await asyncio.sleep(seconds)
    return await call


async def test_a_create_whose_answer_never_came_is_found_by_name_and_taken_back(
    client: Client, acme: str, vendor_sims: VendorSims, tenancy: Tenancy
) -> None:
    # Genesys creates the integration but answers after the client's timeout (5 s here).
    vendor_sims.genesys.failures.add(
        FailureRule(kind="timeout", operation="integration_create", delay_s=6)
    )
    status, body = await _connect(client, acme, GUIDE)
    assert status == 503, body
    assert body["error"]["code"] == "genesys_unavailable"
    assert await _stored(tenancy, acme) is None
    assert vendor_sims.genesys.integrations == {}
    assert "integration_delete" in _operations(vendor_sims)
