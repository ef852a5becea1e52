"""Webhook ingress on the real stack: signature, tenant checks, Kafka, and the status codes."""

from __future__ import annotations

import io
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.signatures import SIGNATURE_HEADER, sign_genesys, sign_meta
from pipeline.gateway.app import create_app
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_WEBHOOKS
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite
from tenancy.services import Tenancy
from tests.conftest import free_port
from tests.integration.kafka_tail import TopicTail
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

META = {
    "appSecret": "meta-app-secret-1",
    "verifyToken": "verify-me",
    "accessToken": "EAAtoken",
    "phoneNumberId": "106540352242922",
}
GENESYS = {
    "clientId": "cid",
    "clientSecret": "csecret",
    "region": "mypurecloud.com",
    "integrationId": "5a7ef3f0-0000-4000-8000-000000000001",
    "outboundWebhookSecret": "genesys-hook-secret-0123",
}
BODY = json.dumps(
    {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {}}]}],
    }
).encode()


@pytest.fixture
async def tenant(client: Client, unique_name: str, tenancy: Tenancy) -> str:
    """A tenant whose credentials are stored as they are (service layer, no vendor check):
    these tests are about the ingress; onboarding has its own tests. Going through
    onboarding would also let Meta's callback check prime the gateway's tenant cache, and
    a suspension only reaches a primed cache after ``WAGEN_GATEWAY_SECRETS_TTL_S``."""
    tenant_id = unique_name.replace("test-", "t")
    await create_tenant(client, tenant_id)
    actor = Actor(label="admin:test", request_id="req-ingress")
    for kind, credentials in (("meta", META), ("genesys", GENESYS)):
        write = CredentialsWrite.model_validate({"type": kind, "credentials": credentials})
        await tenancy.credentials.put(tenant_id, write, actor)
    return tenant_id


async def test_meta_handshake_echoes_the_challenge_only_for_our_token(
    client: Client, tenant: str
) -> None:
    ok = await client.get(
        f"/webhooks/meta/{tenant}",
        params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert (ok.status, await ok.text()) == (200, "42")
    wrong = await client.get(
        f"/webhooks/meta/{tenant}",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"},
    )
    assert wrong.status == 403


async def test_signed_meta_webhook_is_stored_raw_then_acknowledged(
    client: Client, tenant: str, tenancy_settings: WagenSettings
) -> None:
    async with TopicTail(tenancy_settings, WA_WEBHOOKS) as tail:
        response = await client.post(
            f"/webhooks/meta/{tenant}",
            data=BODY,
            headers={
                SIGNATURE_HEADER: sign_meta(BODY, META["appSecret"]),
                "Content-Type": "application/json",
            },
        )
        assert response.status == 200, await response.text()
        [(value, headers)] = await tail.records_for(tenant.encode(), 1)
    assert value == BODY
    assert headers["tenant_id"] == tenant.encode()
    assert headers["source"] == b"meta"
    assert int(headers["received_at_ms"]) > 0
    assert headers["request_id"] == response.headers["X-Request-Id"].encode()


async def test_signed_genesys_webhook_is_stored(
    client: Client, tenant: str, tenancy_settings: WagenSettings
) -> None:
    body = b'{"id":"m1","channel":{"platform":"Open"},"type":"Text","text":"hi"}'
    async with TopicTail(tenancy_settings, GENESYS_WEBHOOKS) as tail:
        response = await client.post(
            f"/webhooks/genesys/{tenant}",
            data=body,
            headers={SIGNATURE_HEADER: sign_genesys(body, GENESYS["outboundWebhookSecret"])},
        )
        assert response.status == 200, await response.text()
        [(value, headers)] = await tail.records_for(tenant.encode(), 1)
    assert (value, headers["source"]) == (body, b"genesys")


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("wrong_secret", 401, "signature_mismatch"),
        ("missing_header", 401, "signature_missing"),
        ("hex_for_genesys", 401, "signature_malformed"),
        ("altered_body", 401, "signature_mismatch"),
        # The same answer as a wrong secret: nobody learns which tenants exist.
        ("unknown_tenant", 401, "signature_mismatch"),
        ("oversized", 413, "payload_too_large"),
    ],
)
async def test_bad_webhooks_are_refused_and_nothing_is_stored(
    client: Client,
    tenant: str,
    tenancy_settings: WagenSettings,
    case: str,
    status: int,
    code: str,
) -> None:
    path, body = f"/webhooks/meta/{tenant}", BODY
    headers = {SIGNATURE_HEADER: sign_meta(BODY, META["appSecret"])}
    if case == "wrong_secret":
        headers[SIGNATURE_HEADER] = sign_meta(BODY, "not-the-secret")
    elif case == "missing_header":
        headers = {}
    elif case == "hex_for_genesys":
        path = f"/webhooks/genesys/{tenant}"
        headers[SIGNATURE_HEADER] = sign_meta(BODY, GENESYS["outboundWebhookSecret"])
    elif case == "altered_body":
        body = BODY.replace(b'"1"', b'"2"')
    elif case == "unknown_tenant":
        path = "/webhooks/meta/nobody-here"
    elif case == "oversized":
        body = b"x" * (tenancy_settings.gateway.max_body_bytes + 1)
    async with TopicTail(tenancy_settings, WA_WEBHOOKS) as tail:
        # A stream, as a real sender's large body would arrive (and aiohttp wants for big bytes).
        response = await client.post(path, data=io.BytesIO(body), headers=headers)
        assert response.status == status, await response.text()
        assert (await response.json())["error"]["code"] == code
        assert await tail.records_for(tenant.encode(), 0) == []


async def test_suspended_tenant_is_403(client: Client, tenant: str) -> None:
    patched = await client.patch(f"/tenants/{tenant}", json={"status": "suspended"}, headers=ADMIN)
    assert patched.status == 200
    response = await client.post(
        f"/webhooks/meta/{tenant}",
        data=BODY,
        headers={SIGNATURE_HEADER: sign_meta(BODY, META["appSecret"])},
    )
    assert response.status == 403


async def test_a_rotated_secret_is_accepted_at_once(
    client: Client, tenant: str, vendor_sims: VendorSims
) -> None:
    def signed(secret: str) -> dict[str, str]:
        return {SIGNATURE_HEADER: sign_meta(BODY, secret)}

    first = await client.post(
        f"/webhooks/meta/{tenant}", data=BODY, headers=signed("meta-app-secret-1")
    )
    assert first.status == 200  # the old secret is now cached
    # Stored through onboarding this time: the number and its token exist at Meta.
    vendor_sims.meta_number(META["phoneNumberId"], META["accessToken"])
    rotated = {**META, "appSecret": "meta-app-secret-2"}
    stored = await client.post(
        f"/tenants/{tenant}/credentials",
        json={"type": "meta", "credentials": rotated},
        headers=ADMIN,
    )
    assert stored.status == 201
    second = await client.post(
        f"/webhooks/meta/{tenant}", data=BODY, headers=signed("meta-app-secret-2")
    )
    assert second.status == 200


async def test_kafka_down_is_503_never_200(
    tenancy_settings: WagenSettings, tenant: str, client: Client
) -> None:
    dead_kafka = tenancy_settings.model_copy(
        update={
            "kafka": tenancy_settings.kafka.model_copy(
                update={"bootstrap_servers": f"127.0.0.1:{free_port()}", "request_timeout_ms": 1000}
            ),
            "gateway": tenancy_settings.gateway.model_copy(update={"publish_timeout_s": 1.0}),
        }
    )
    broken: Client = TestClient(TestServer(create_app(dead_kafka)))
    await broken.start_server()
    try:
        response = await broken.post(
            f"/webhooks/meta/{tenant}",
            data=BODY,
            headers={SIGNATURE_HEADER: sign_meta(BODY, META["appSecret"])},
        )
        assert response.status == 503
        assert (await response.json())["error"]["code"] == "kafka_unavailable"
    finally:
        await broken.close()
