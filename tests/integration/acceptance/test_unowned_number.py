"""A shared-app webhook naming a number no tenant owns, with a worker running: 403, the body
quarantined, and nothing forwarded anywhere (the gateway's side alone is covered in
``tests/integration/gateway/test_shared_app_and_numbers.py``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.gateway.app import create_app
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, WA_WEBHOOKS_QUARANTINE, retry_topic
from pipeline.settings import WagenSettings
from tenancy.platform import PlatformSecrets
from tenancy.vault import VaultClient
from tests.integration.acceptance.stack import (
    Genesys,
    Tenants,
    Workers,
    text_webhook,
    wait_caught_up,
)
from tests.integration.kafka_tail import TopicTail
from tests.integration.tenancy.conftest import Client
from tests.integration.worker.harness import MetaSim

SHARED_SECRET = "shared-app-secret-acceptance"


@pytest.fixture
async def shared_client(tenancy_settings: WagenSettings, unique_name: str) -> AsyncIterator[Client]:
    """The gateway with an operator's shared Meta app (its secret under the test's path)."""
    vault_settings = tenancy_settings.vault.model_copy(
        update={"platform_prefix": f"wagen-test/{unique_name}/platform"}
    )
    settings = tenancy_settings.model_copy(update={"vault": vault_settings})
    vault = VaultClient(vault_settings)
    try:
        await PlatformSecrets(vault, vault_settings).set_shared_meta_app(
            {"appSecret": SHARED_SECRET, "verifyToken": "shared"}
        )
        client: Client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            yield client
        finally:
            await client.close()
    finally:
        await vault.kv_delete_all(f"{vault_settings.platform_prefix}/meta-app")
        vault.close()


async def test_an_unowned_number_is_refused_quarantined_and_never_forwarded(
    shared_client: Client,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    meta: MetaSim,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    owner = await tenants.create("owner")
    await workers.start(unique_name)
    stranger = replace(owner, number=f"9{uuid.uuid4().int % 10**12:012d}")
    stray_id = f"wamid.stray-{uuid.uuid4().hex}"
    stray = text_webhook(stranger, "15559990000", stray_id, "who owns me?")
    owned_id = f"wamid.owned-{uuid.uuid4().hex}"
    owned = text_webhook(owner, "15559990000", owned_id, "a control message")

    async def post(body: bytes) -> int:
        response = await shared_client.post(
            "/webhooks/meta", data=body, headers={SIGNATURE_HEADER: sign_meta(body, SHARED_SECRET)}
        )
        return response.status

    async with (
        TopicTail(tenancy_settings, WA_WEBHOOKS) as raw,
        TopicTail(tenancy_settings, WA_WEBHOOKS_QUARANTINE) as quarantine,
    ):
        assert await post(stray) == 403
        [(kept, headers)] = await quarantine.records_for(stranger.number.encode(), 1)
        # The owned control message goes second: once it has arrived, the stray had its chance.
        assert await post(owned) == 200
        [delivered] = await genesys.wait_delivered(1, timeout_s=10)
        stored = await raw.records_for(owner.tenant_id.encode(), 2, rounds=4)

    assert json.loads(kept) == json.loads(stray)
    assert headers["quarantine_reason"] == b"number_not_owned"
    assert headers["tenant_id"] == b""
    assert [json.loads(value)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            for value, _ in stored] == [owned_id]  # fmt: skip
    servers = tenancy_settings.kafka.servers
    await wait_caught_up(servers, unique_name, [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)])
    assert delivered.message_id == owned_id
    assert [c.message_id for c in genesys.calls] == [owned_id]  # nothing else, to anyone
    assert meta.sandbox.requests.entries == []  # and nothing to Meta either
