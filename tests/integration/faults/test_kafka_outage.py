"""Kafka stopped under the gateway: 503 (the sender retries), then 200 again once it is back.

This stops and restarts the local stack's real broker, so it runs last-ish and always
restarts Kafka, even when an assertion fails.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.kafka.topics import WA_WEBHOOKS
from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT
from tests.integration.kafka_tail import TopicTail
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

STACK = REPO_ROOT / "deploy" / "local" / "stack"
APP_SECRET = "outage-app-secret"

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _stack(*args: str) -> None:
    subprocess.run([str(STACK), *args], check=True, capture_output=True, timeout=180)


async def test_gateway_answers_503_while_kafka_is_down_then_accepts_again(
    client: Client, unique_name: str, tenancy_settings: WagenSettings, vendor_sims: VendorSims
) -> None:
    tenant = unique_name.replace("test-", "t")
    await create_tenant(client, tenant)
    number = str(int(unique_name[-8:], 16))[:12]
    vendor_sims.meta_number(number, "EAA")  # the tenant's number at Meta (onboarding checks it)
    stored = await client.post(
        f"/tenants/{tenant}/credentials",
        json={
            "type": "meta",
            "credentials": {
                "appSecret": APP_SECRET,
                "verifyToken": "vt",
                "accessToken": "EAA",
                "phoneNumberId": number,
            },
        },
        headers=ADMIN,
    )
    assert stored.status == 201

    def body(n: int) -> bytes:
        return f'{{"object":"whatsapp_business_account","entry":[],"n":{n}}}'.encode()

    async def post(n: int) -> int:
        response = await client.post(
            f"/webhooks/meta/{tenant}",
            data=body(n),
            headers={SIGNATURE_HEADER: sign_meta(body(n), APP_SECRET)},
        )
        return response.status

    assert await post(1) == 200
    _stack("stop", "kafka")
    try:
        # Never a 200 for a body Kafka did not store.
        assert await post(2) == 503
    finally:
        _stack("start", "kafka")
    async with asyncio.timeout(90):
        while (status := await post(3)) != 200:
            assert status == 503
            await asyncio.sleep(1)
    async with TopicTail(tenancy_settings, WA_WEBHOOKS) as tail:
        assert await post(4) == 200
        [(value, _)] = await tail.records_for(tenant.encode(), 1)
    assert value == body(4)
