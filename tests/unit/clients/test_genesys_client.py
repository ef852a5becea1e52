"""The Genesys client against the Genesys simulator: the four inbound calls and failures."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from connectors.errors import ConnectorTransportError
from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import (
    GenesysPermanentError,
    GenesysRateLimitedError,
    GenesysRetryableError,
)
from connectors.http import HttpTransport
from schemas.genesys import (
    ContentButtonResponse,
    ConversationEventTyping,
    ConversationReason,
    OpenEvent,
    OpenInboundMessagingChannel,
    OpenInboundMessagingReceiptChannel,
    OpenInboundNormalizedEvent,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
    OpenMessagingFromRecipient,
    OpenMessagingToRecipient,
)
from schemas.genesys import OpenInboundMessageMessagingChannel as MessageChannel
from tests.unit.clients.conftest import (
    INTEGRATION_ID,
    GenesysSim,
    genesys_settings,
    genesys_tenant,
)
from tests.unit.clients.test_genesys_token import message
from tests.unit.schemas.reference import GENESYS_EXAMPLES, load_json

WHEN = datetime(2025, 3, 14, 9, 31, 2, tzinfo=UTC)
CUSTOMER = OpenMessagingFromRecipient(id="+5511987654321", id_type="Phone")
KIND_PATHS = {
    "inbound-message": "message",
    "inbound-receipt": "receipt",
    "inbound-event": "event",
    "inbound-structured-response": "structured/response",
}


async def fail(sim: GenesysSim, **rule: Any) -> None:
    await sim.control("failures", rule)


async def statuses(sim: GenesysSim, operation: str) -> list[int]:
    found = (await sim.inspect("requests", operation=operation))["requests"]
    return [entry["status"] for entry in found]


async def test_message_is_accepted_and_recorded_as_sent(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    accepted = await genesys_client.send_message(
        genesys_tenant(genesys_sim), message(), prefetch_conversation_id=True
    )
    assert accepted.id
    assert accepted.conversation_id
    assert accepted.body["channel"]["id"] == INTEGRATION_ID
    assert genesys_sim.sandbox.received == [
        {
            "kind": "message",
            "integration_id": INTEGRATION_ID,
            "body": message().model_dump(mode="json", exclude_none=True),
        }
    ]


async def test_receipt_event_and_structured_response(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    receipt = OpenInboundNormalizedReceipt(
        id="8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
        channel=OpenInboundMessagingReceiptChannel(
            to=OpenMessagingToRecipient(id="+5511987654321", id_type="Phone"), time=WHEN
        ),
        status="Failed",
        reasons=[ConversationReason(code="MessageExpired", message="WhatsApp 131047")],
        is_final_receipt=True,
    )
    event = OpenInboundNormalizedEvent(
        channel=OpenInboundMessagingChannel(from_=CUSTOMER, time=WHEN),
        events=[OpenEvent(event_type="Typing", typing=ConversationEventTyping(type="On"))],
    )
    answer = OpenInboundStructuredResponseMessage(
        channel=MessageChannel(from_=CUSTOMER, time=WHEN, message_id="wamid.AAF"),
        button_response=ContentButtonResponse(type="QuickReply", text="Yes", payload="YES"),
        originating_message_id="2f0b6c1d9e8a4b7c8d6e5f4a3b2c1d0e",
    )
    accepted = await genesys_client.send_receipt(tenant, receipt)
    assert accepted.id == receipt.id
    await genesys_client.send_event(tenant, event)
    await genesys_client.send_structured_response(tenant, answer)
    kinds = [(r["kind"], r["body"]) for r in genesys_sim.sandbox.received]
    assert kinds == [
        ("receipt", receipt.model_dump(mode="json", exclude_none=True)),
        ("event", event.model_dump(mode="json", exclude_none=True)),
        ("structured/response", answer.model_dump(mode="json", exclude_none=True)),
    ]


async def test_429_waits_for_retry_after_then_succeeds(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await fail(genesys_sim, kind="rate_limit", retry_after=1, operation="message")
    started = time.monotonic()
    await genesys_client.send_message(genesys_tenant(genesys_sim), message())
    assert time.monotonic() - started >= 1.0
    assert await statuses(genesys_sim, "message") == [429, 200]


async def test_persistent_429_is_raised_with_retry_after_and_context_id(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await fail(genesys_sim, kind="rate_limit", retry_after=0, count=3, operation="message")
    with pytest.raises(GenesysRateLimitedError) as caught:
        await genesys_client.send_message(genesys_tenant(genesys_sim), message())
    assert caught.value.retry_after == 0
    assert caught.value.genesys_code == "too.many.requests"
    assert caught.value.context_id
    assert caught.value.attempts == 3


async def test_5xx_is_retried_then_succeeds(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await fail(genesys_sim, kind="server_error", status=500, count=2, operation="receipt")
    await fail(genesys_sim, kind="server_error", status=503, count=3, operation="event")
    tenant = genesys_tenant(genesys_sim)
    event = OpenInboundNormalizedEvent(
        channel=OpenInboundMessagingChannel(from_=CUSTOMER, time=WHEN),
        events=[OpenEvent(event_type="Typing")],
    )
    with pytest.raises(GenesysRetryableError) as caught:
        await genesys_client.send_event(tenant, event)
    assert (caught.value.http_status, caught.value.attempts) == (503, 3)
    await genesys_client.send_message(tenant, message())
    assert await statuses(genesys_sim, "message") == [200]


async def test_a_message_that_times_out_is_not_repeated_but_a_receipt_is(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    client = GenesysClient(transport, genesys_settings(genesys_sim, timeout_s=0.2))
    tenant = genesys_tenant(genesys_sim)
    await fail(genesys_sim, kind="timeout", delay_s=0.6, operation="message")
    with pytest.raises(ConnectorTransportError) as caught:
        await client.send_message(tenant, message())
    assert caught.value.timed_out
    assert caught.value.maybe_sent
    assert caught.value.attempts == 1
    await fail(genesys_sim, kind="timeout", delay_s=0.6, operation="receipt")
    receipt = OpenInboundNormalizedReceipt(
        id="8c1a",
        channel=OpenInboundMessagingReceiptChannel(
            to=OpenMessagingToRecipient(id="+5511987654321"), time=WHEN
        ),
        status="Delivered",
    )
    await client.send_receipt(tenant, receipt)
    assert await statuses(genesys_sim, "receipt") == [200, 200]


async def test_an_unknown_integration_is_a_permanent_404(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    wrong = type(tenant)(
        client_id=tenant.client_id,
        client_secret=tenant.client_secret,
        integration_id="no-such-integration",
        endpoints=tenant.endpoints,
        tenant_id="acme",
    )
    with pytest.raises(GenesysPermanentError) as caught:
        await genesys_client.send_message(wrong, message())
    assert (caught.value.http_status, caught.value.genesys_code) == (404, "not.found")
    assert caught.value.alert
    assert caught.value.attempts == 1


async def test_a_schema_invalid_body_gets_a_genesys_shaped_400(
    genesys_client: GenesysClient, genesys_sim: GenesysSim, session: aiohttp.ClientSession
) -> None:
    token = await genesys_client.tokens.token(genesys_tenant(genesys_sim))
    body = {
        "channel": {
            "from": {"id": "+5511987654321", "idType": "Phone"},
            "time": "2025-03-14T09:26:53.000Z",
        },
        "text": "hi",
        "metadata": {"nested": {"not": "allowed"}},
    }
    url = f"{genesys_sim.url}/api/v2/conversations/messages/{INTEGRATION_ID}/inbound/open/message"
    async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 400
        error = await r.json()
        assert r.headers["ININ-Correlation-Id"] == error["contextId"]
    assert set(error) >= {"message", "code", "status", "contextId", "details", "errors"}
    assert (error["code"], error["status"]) == ("bad.request", 400)
    assert "metadata.nested" in error["message"]
    assert genesys_sim.sandbox.received == []


@pytest.mark.parametrize(
    "name",
    [
        name
        for name, entry in load_json(GENESYS_EXAMPLES / "expected.json").items()
        if entry["kind"] in KIND_PATHS
    ],
)
async def test_the_simulator_judges_reference_examples_as_genesys_does(
    genesys_client: GenesysClient,
    genesys_sim: GenesysSim,
    session: aiohttp.ClientSession,
    name: str,
) -> None:
    entry = load_json(GENESYS_EXAMPLES / "expected.json")[name]
    token = await genesys_client.tokens.token(genesys_tenant(genesys_sim))
    path = KIND_PATHS[entry["kind"]]
    url = f"{genesys_sim.url}/api/v2/conversations/messages/{INTEGRATION_ID}/inbound/open/{path}"
    raw = (GENESYS_EXAMPLES / name).read_bytes()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with session.post(url, data=raw, headers=headers) as response:
        body = json.loads(await response.read())
        assert response.status == (200 if entry["valid"] else 400), body
    if not entry["valid"]:
        assert body["code"] == "bad.request"
        assert body["errors"]
