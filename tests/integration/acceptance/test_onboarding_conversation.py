"""Onboarded with exactly the integration guide's bodies, a tenant carries a conversation both
ways with no other setup step.

Real ``wagen gateway`` and ``wagen worker`` processes; the Meta and Genesys simulators play
the vendors, holding only what the tenant has before it comes to wagen: a business number
and its token at Meta, an OAuth client at Genesys. The three requests create the Genesys
integration (pointing at the gateway, with a secret only Vault knows) and subscribe the
Meta app to the WABA with a callback override to the gateway; then a customer writes, the
agent answers, and each message arrives where it should.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from connectors.sandbox.genesys_state import ClientConfig
from connectors.sandbox.meta_state import NumberConfig
from pipeline.settings import WagenSettings
from tests.conftest import free_port
from tests.integration.acceptance.stack import Genesys, Workers
from tests.integration.tenancy.conftest import ADMIN_TOKEN
from tests.integration.wagen_process import WagenProcess, wagen
from tests.integration.worker.harness import MetaSim

GUIDE_TENANT = {
    "tenantId": "acme-corp",
    "name": "Acme Corporation",
    "subdomain": "acme",
    "plan": "enterprise",
}
GUIDE_META = {
    "type": "meta",
    "credentials": {
        "appSecret": "your_meta_app_secret",
        "verifyToken": "your_verify_token",
        "accessToken": "your_meta_access_token",
        "phoneNumberId": "123456789",
    },
}
GUIDE_GENESYS = {
    "type": "genesys",
    "credentials": {
        "clientId": "genesys_client_id",
        "clientSecret": "genesys_client_secret",
        "region": "mypurecloud.com",
    },
}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _gateway_env(
    settings: WagenSettings, port: int, genesys: Genesys, meta: MetaSim
) -> dict[str, str]:
    plans = {name: plan.model_dump() for name, plan in settings.tenancy.plans.items()}
    return {
        "WAGEN_GATEWAY_PORT": str(port),
        "WAGEN_POSTGRES_DSN": settings.postgres.dsn.get_secret_value(),
        "WAGEN_TENANCY_REDIS_PREFIX": settings.tenancy.redis_prefix,
        "WAGEN_TENANCY_PLANS": json.dumps(plans),
        "WAGEN_VAULT_TENANT_PREFIX": settings.vault.tenant_prefix,
        "WAGEN_ADMIN_TOKEN": ADMIN_TOKEN,
        "WAGEN_META_GRAPH_URL": meta.url,
        "WAGEN_GENESYS_LOGIN_URL": genesys.sim.url,
        "WAGEN_GENESYS_API_URL": genesys.sim.url,
        "WAGEN_ONBOARDING_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


@pytest.fixture
async def gateway_url(
    tenancy_settings: WagenSettings, genesys: Genesys, meta: MetaSim
) -> AsyncIterator[str]:
    """A ``wagen gateway`` process, once ``/healthz`` answers."""
    port = free_port()
    process = wagen("gateway", env=_gateway_env(tenancy_settings, port, genesys, meta))
    url = f"http://127.0.0.1:{port}"
    try:
        await _healthy(process, url)
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
        output, _ = process.communicate(timeout=60)
        print(output[-6000:])  # shown when the test failed


async def _healthy(process: WagenProcess, url: str) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.poll() is None, process.communicate()[0][-4000:]
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            assert time.monotonic() < deadline, "gateway not healthy within 60 s"
            await asyncio.sleep(0.2)


async def _call(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with session.request(method, url, json=body, headers=ADMIN) as response:
        answer = await response.json()
        assert response.status < 300, (url, response.status, answer)
        return answer


async def test_the_guides_three_requests_then_a_conversation_both_ways(
    gateway_url: str, genesys: Genesys, meta: MetaSim, workers: Workers, unique_name: str
) -> None:
    # What acme-corp has at the vendors before it comes to wagen (the simulators' accounts).
    meta.sandbox.numbers["123456789"] = NumberConfig(
        phone_number_id="123456789",
        access_token="your_meta_access_token",
        app_secret="your_meta_app_secret",
    )
    genesys.sandbox.clients["genesys_client_id"] = ClientConfig(
        client_id="genesys_client_id", client_secret="genesys_client_secret"
    )
    await workers.start(unique_name)

    async with aiohttp.ClientSession() as session:
        created = await _call(session, "POST", f"{gateway_url}/tenants", GUIDE_TENANT)
        key = created["apiKey"]
        for body in (GUIDE_META, GUIDE_GENESYS):
            await _call(session, "POST", f"{gateway_url}/tenants/acme-corp/credentials", body)
        [integration_id] = list(genesys.sandbox.integrations)

        # The customer writes: Meta sends the webhook where the subscription says.
        emitted = await _control(
            session,
            f"{meta.url}/_sandbox/webhooks/message",
            {"phone_number_id": "123456789", "from": "5511987654321", "text": "Where is my order?"},
        )
        assert emitted["delivery_status"] == 200
        [inbound] = await genesys.wait_delivered(1, timeout_s=30)
        assert (inbound.integration_id, inbound.client_id) == (integration_id, "genesys_client_id")
        assert inbound.text == "Where is my order?"

        # The agent answers: Genesys signs with the secret onboarding set, wagen verifies it.
        emitted = await _control(
            session,
            f"{genesys.sim.url}/_sandbox/webhooks/outbound",
            {"integration_id": integration_id, "to": "+5511987654321", "text": "On its way!"},
        )
        assert emitted["delivery_status"] == 200
        [sent] = await _sent_to_whatsapp(meta, timeout_s=30)
        assert sent["phone_number_id"] == "123456789"
        assert sent["body"]["to"].lstrip("+") == "5511987654321"
        assert sent["body"]["text"]["body"] == "On its way!"

        async with session.get(f"{gateway_url}/state/stats", headers={"X-API-Key": key}) as answer:
            assert (await answer.json())["tenantId"] == "acme-corp"
        async with session.get(
            f"{gateway_url}/tenants/acme-corp/health", headers={"X-API-Key": key}
        ) as response:
            report = await response.json()
        assert report["healthy"] is True, report
        received = {
            c["name"]: c["at"] for c in report["checks"] if c["name"].startswith("webhooks.")
        }
        assert received["webhooks.meta"] is not None
        assert received["webhooks.genesys"] is not None


async def _sent_to_whatsapp(meta: MetaSim, *, timeout_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while not meta.sandbox.sent:
        assert time.monotonic() < deadline, "the agent's reply did not reach Meta"
        await asyncio.sleep(0.1)
    return list(meta.sandbox.sent)


async def _control(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(url, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()
