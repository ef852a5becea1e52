"""Business-number ownership: claimed with Meta credentials, enforced on both Meta routes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.gateway.app import create_app
from pipeline.kafka.topics import WA_WEBHOOKS, WA_WEBHOOKS_QUARANTINE
from pipeline.settings import WagenSettings
from tenancy.platform import PlatformSecrets
from tenancy.vault import VaultClient
from tests.integration.kafka_tail import TopicTail
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

SHARED_SECRET = "shared-app-secret"


def _meta(number: str) -> dict[str, str]:
    return {
        "appSecret": f"secret-{number}",
        "verifyToken": "vt",
        "accessToken": "EAAtoken",
        "phoneNumberId": number,
    }


def _body(*numbers: str) -> bytes:
    changes = [
        {
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "1555", "phone_number_id": n},
            },
        }
        for n in numbers
    ]
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": changes}]}
    ).encode()


@pytest.fixture
def shared_settings(tenancy_settings: WagenSettings, unique_name: str) -> WagenSettings:
    vault = tenancy_settings.vault.model_copy(
        update={"platform_prefix": f"wagen-test/{unique_name}/platform"}
    )
    return tenancy_settings.model_copy(update={"vault": vault})


@pytest.fixture
async def shared_client(shared_settings: WagenSettings, gateway_port: int) -> AsyncIterator[Client]:
    vault = VaultClient(shared_settings.vault)
    try:
        platform = PlatformSecrets(vault, shared_settings.vault)
        await platform.set_shared_meta_app({"appSecret": SHARED_SECRET, "verifyToken": "shared"})
        # On the gateway port: onboarding registers that URL, and Meta's check calls it.
        server = TestServer(create_app(shared_settings), host="127.0.0.1", port=gateway_port)
        client: Client = TestClient(server)
        await client.start_server()
        try:
            yield client
        finally:
            await client.close()
    finally:
        await vault.kv_delete_all(f"{shared_settings.vault.platform_prefix}/meta-app")
        vault.close()


async def _tenant_with_number(
    client: Client, sims: VendorSims, tenant_id: str, number: str
) -> None:
    await create_tenant(client, tenant_id)
    sims.meta_number(number, "EAAtoken")
    response = await client.post(
        f"/tenants/{tenant_id}/credentials",
        json={"type": "meta", "credentials": _meta(number)},
        headers=ADMIN,
    )
    assert response.status == 201, await response.text()


def _numbers(unique_name: str) -> tuple[str, str, str]:
    base = str(int(unique_name[-8:], 16))[:9]
    return f"1{base}", f"2{base}", f"3{base}"


async def test_a_number_has_one_owner(
    client: Client, unique_name: str, vendor_sims: VendorSims
) -> None:
    mine, _, _ = _numbers(unique_name)
    await _tenant_with_number(client, vendor_sims, f"a{unique_name[5:]}", mine)
    other = f"b{unique_name[5:]}"
    await create_tenant(client, other)
    taken = await client.post(
        f"/tenants/{other}/credentials",
        json={"type": "meta", "credentials": _meta(mine)},
        headers=ADMIN,
    )
    assert taken.status == 409
    assert (await taken.json())["error"]["code"] == "phone_number_taken"


async def test_per_tenant_route_refuses_and_quarantines_another_number(
    client: Client, unique_name: str, tenancy_settings: WagenSettings, vendor_sims: VendorSims
) -> None:
    mine, theirs, _ = _numbers(unique_name)
    tenant = f"a{unique_name[5:]}"
    await _tenant_with_number(client, vendor_sims, tenant, mine)
    body = _body(mine, theirs)
    async with TopicTail(tenancy_settings, WA_WEBHOOKS_QUARANTINE) as quarantine:
        response = await client.post(
            f"/webhooks/meta/{tenant}",
            data=body,
            headers={SIGNATURE_HEADER: sign_meta(body, f"secret-{mine}")},
        )
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "phone_number_not_owned"
        [(value, headers)] = await quarantine.records_for(theirs.encode(), 1)
    assert value == body
    assert headers["quarantine_reason"] == b"number_not_owned"


async def test_shared_route_routes_each_change_to_its_owner(
    shared_client: Client, unique_name: str, shared_settings: WagenSettings, vendor_sims: VendorSims
) -> None:
    first, second, nobodys = _numbers(unique_name)
    tenants = {first: f"a{unique_name[5:]}", second: f"b{unique_name[5:]}"}
    for number, tenant in tenants.items():
        await _tenant_with_number(shared_client, vendor_sims, tenant, number)

    handshake = await shared_client.get(
        "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "shared", "hub.challenge": "7"},
    )
    assert (handshake.status, await handshake.text()) == (200, "7")

    body = _body(first, second)
    async with TopicTail(shared_settings, WA_WEBHOOKS) as raw:
        response = await shared_client.post(
            "/webhooks/meta", data=body, headers={SIGNATURE_HEADER: sign_meta(body, SHARED_SECRET)}
        )
        assert response.status == 200, await response.text()
        stored: dict[str, Any] = {}
        for number, tenant in tenants.items():
            [(value, headers)] = await raw.records_for(tenant.encode(), 1)
            assert headers["source"] == b"meta-shared"
            stored[number] = json.loads(value)
    for number, sub in stored.items():
        named = [c["value"]["metadata"]["phone_number_id"] for c in sub["entry"][0]["changes"]]
        assert named == [number]

    stray = _body(first, nobodys)
    async with (
        TopicTail(shared_settings, WA_WEBHOOKS) as raw,
        TopicTail(shared_settings, WA_WEBHOOKS_QUARANTINE) as quarantine,
    ):
        refused = await shared_client.post(
            "/webhooks/meta",
            data=stray,
            headers={SIGNATURE_HEADER: sign_meta(stray, SHARED_SECRET)},
        )
        assert refused.status == 403
        assert len(await raw.records_for(tenants[first].encode(), 1)) == 1
        [(value, _)] = await quarantine.records_for(nobodys.encode(), 1)
    assert [
        c["value"]["metadata"]["phone_number_id"] for c in json.loads(value)["entry"][0]["changes"]
    ] == [nobodys]


async def test_shared_route_checks_its_signature_and_body(
    shared_client: Client, vendor_sims: VendorSims
) -> None:
    body = _body("123")
    wrong = await shared_client.post(
        "/webhooks/meta", data=body, headers={SIGNATURE_HEADER: sign_meta(body, "nope")}
    )
    assert wrong.status == 401
    garbage = b"[1, 2]"
    bad = await shared_client.post(
        "/webhooks/meta",
        data=garbage,
        headers={SIGNATURE_HEADER: sign_meta(garbage, SHARED_SECRET)},
    )
    assert bad.status == 400


@pytest.mark.parametrize("body", [b"{}", b'{"object": "whatsapp_business_account", "entry": []}'])
async def test_a_signed_body_with_no_change_is_not_stored_as_if_it_were(
    shared_client: Client, tenancy_settings: WagenSettings, body: bytes
) -> None:
    """The probe's ``{}`` was answered 200 "stored" with nothing stored."""
    rid = f"no-changes-{uuid.uuid4().hex}"
    headers = {SIGNATURE_HEADER: sign_meta(body, SHARED_SECRET), "X-Request-Id": rid}
    async with TopicTail(tenancy_settings, WA_WEBHOOKS_QUARANTINE) as quarantine:
        response = await shared_client.post("/webhooks/meta", data=body, headers=headers)
        answer = await response.json()
        assert response.status == 400, answer
        assert answer["error"]["code"] == "no_changes"
        kept = await quarantine.records_for(b"", 1)
    mine = [(value, h) for value, h in kept if h["request_id"] == rid.encode()]
    assert [value for value, _ in mine] == [body]
    assert mine[0][1]["quarantine_reason"] == b"no_changes"


async def test_shared_route_without_a_shared_app_is_404(client: Client) -> None:
    body = _body("123")
    response = await client.post(
        "/webhooks/meta", data=body, headers={SIGNATURE_HEADER: sign_meta(body, "x")}
    )
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "shared_app_not_configured"
