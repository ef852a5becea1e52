"""Meta onboarding against the simulator: the token checked against the number, the app
subscribed to the WABA with a callback override to the tenant's route (checked by Meta
through the gateway's handshake), and each refusal a specific 422."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.sandbox.common import FailureRule
from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.credential_models import MetaCredentials
from tenancy.services import Tenancy
from tests.conftest import free_port
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

NUMBER, TOKEN, SECRET = "106540352242922", "EAAG-acme-token", "acme-app-secret"
GUIDE = {
    "appSecret": SECRET,
    "verifyToken": "acme-verify",
    "accessToken": TOKEN,
    "phoneNumberId": NUMBER,
}
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


async def _connect(client: Client, tenant: str, credentials: dict[str, Any]) -> tuple[int, Any]:
    response = await client.post(
        f"/tenants/{tenant}/credentials",
        json={"type": "meta", "credentials": credentials},
        headers=ADMIN,
    )
    return response.status, await response.json()


async def _nothing_kept(tenancy: Tenancy, tenant: str) -> None:
    assert await tenancy.credentials.read(tenant, "meta") is None
    assert await tenancy.numbers.owner(NUMBER) is None


@pytest.fixture
def acme_number(vendor_sims: VendorSims) -> VendorSims:
    vendor_sims.meta_number(NUMBER, TOKEN, app_secret=SECRET, waba_id="102290129340398")
    return vendor_sims


async def test_the_token_is_checked_and_the_waba_subscribed_with_the_callback_override(
    client: Client, acme_number: VendorSims, tenancy: Tenancy, gateway_port: int
) -> None:
    await create_tenant(client, "acme")
    status, body = await _connect(client, "acme", GUIDE)
    assert status == 201, body
    url = f"http://127.0.0.1:{gateway_port}/webhooks/meta/acme"
    meta = body["meta"]
    assert meta["wabaId"] == "102290129340398"  # found from the token, not given
    assert meta["callbackUrl"] == url
    assert (meta["displayPhoneNumber"], meta["verifiedName"]) == ("15550001111", "Sandbox Business")
    assert (meta["qualityRating"], meta["throughputLevel"]) == ("GREEN", "STANDARD")
    [subscription] = acme_number.meta.subscriptions["102290129340398"].values()
    assert subscription.override_callback_uri == url
    stored = await tenancy.credentials.read("acme", "meta")
    assert isinstance(stored, MetaCredentials)
    assert stored.waba_id == "102290129340398"
    assert stored.subscribed_by_wagen
    owner = await tenancy.numbers.owner(NUMBER)
    assert owner is not None
    assert owner.tenant_id == "acme"
    # Meta now sends the number's webhooks to wagen with no step in Meta's console.
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{acme_number.meta_url}/_sandbox/webhooks/message",
            json={"phone_number_id": NUMBER, "from": "5511987654321", "text": "hi"},
        ) as emitted,
    ):
        assert (await emitted.json())["delivery_status"] == 200


async def test_a_wrong_token_is_422_meta_token_invalid(
    client: Client, acme_number: VendorSims, tenancy: Tenancy
) -> None:
    await create_tenant(client, "acme")
    status, body = await _connect(client, "acme", {**GUIDE, "accessToken": "EAAG-wrong"})
    assert status == 422, body
    assert body["error"]["code"] == "meta_token_invalid"
    await _nothing_kept(tenancy, "acme")


async def test_a_number_the_token_cannot_reach_is_422(
    client: Client, acme_number: VendorSims, tenancy: Tenancy
) -> None:
    acme_number.meta_number("999000111222", "EAAG-other-account", waba_id="555")
    await create_tenant(client, "acme")
    status, body = await _connect(client, "acme", {**GUIDE, "accessToken": "EAAG-other-account"})
    assert status == 422, body
    assert body["error"]["code"] == "meta_phone_number_unreachable"
    await _nothing_kept(tenancy, "acme")
    status, body = await _connect(client, "acme", {**GUIDE, "wabaId": "555"})
    assert status == 422, body
    assert body["error"]["code"] == "meta_phone_number_unreachable"  # not in that WABA
    await _nothing_kept(tenancy, "acme")


async def test_an_app_meta_will_not_subscribe_is_422_and_nothing_is_kept(
    client: Client, acme_number: VendorSims, tenancy: Tenancy
) -> None:
    acme_number.meta.refusing_wabas.add("102290129340398")
    await create_tenant(client, "acme")
    status, body = await _connect(client, "acme", GUIDE)
    assert status == 422, body
    assert body["error"]["code"] == "meta_app_not_subscribed"
    await _nothing_kept(tenancy, "acme")
    assert acme_number.meta.subscriptions == {}


async def test_meta_down_is_503_and_nothing_is_kept(
    client: Client, acme_number: VendorSims, tenancy: Tenancy
) -> None:
    acme_number.meta.failures.add(FailureRule(kind="server_error", count=50))
    await create_tenant(client, "acme")
    status, body = await _connect(client, "acme", GUIDE)
    assert status == 503, body
    assert body["error"]["code"] == "meta_unavailable"
    await _nothing_kept(tenancy, "acme")


@pytest.fixture
async def unreachable_gateway(tenancy_settings: WagenSettings) -> AsyncIterator[Client]:
    """A gateway whose public URL is a port nothing listens on (a wrong setting)."""
    onboarding = tenancy_settings.onboarding.model_copy(
        update={"public_url": f"http://127.0.0.1:{free_port()}"}
    )
    settings = tenancy_settings.model_copy(update={"onboarding": onboarding})
    test_client: Client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def test_a_callback_meta_cannot_verify_is_422_and_nothing_is_kept(
    unreachable_gateway: Client, acme_number: VendorSims, tenancy: Tenancy
) -> None:
    await create_tenant(unreachable_gateway, "acme")
    status, body = await _connect(unreachable_gateway, "acme", GUIDE)
    assert status == 422, body
    assert body["error"]["code"] == "meta_callback_unverified"
    assert "WAGEN_ONBOARDING_PUBLIC_URL" in body["error"]["message"]
    await _nothing_kept(tenancy, "acme")


@pytest.fixture
async def short_window(tenancy_settings: WagenSettings, gateway_port: int) -> AsyncIterator[Client]:
    """The gateway with a two-second rotation window."""
    onboarding = tenancy_settings.onboarding.model_copy(update={"rotation_window_s": 2.0})
    settings = tenancy_settings.model_copy(update={"onboarding": onboarding})
    server = TestServer(create_app(settings), host="127.0.0.1", port=gateway_port)
    test_client: Client = TestClient(server)
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def test_a_new_app_secret_leaves_the_old_one_accepted_for_the_window(
    short_window: Client, acme_number: VendorSims
) -> None:
    client = short_window
    await create_tenant(client, "acme")
    assert (await _connect(client, "acme", GUIDE))[0] == 201

    async def post(secret: str) -> int:
        response = await client.post(
            "/webhooks/meta/acme", data=BODY, headers={SIGNATURE_HEADER: sign_meta(BODY, secret)}
        )
        return response.status

    assert await post(SECRET) == 200
    assert (await _connect(client, "acme", {**GUIDE, "appSecret": "acme-app-secret-2"}))[0] == 201
    assert await post("acme-app-secret-2") == 200
    assert await post(SECRET) == 200  # the previous one, inside the window
    await asyncio.sleep(2.5)
    assert await post(SECRET) == 401  # the window is over
    assert await post("acme-app-secret-2") == 200
