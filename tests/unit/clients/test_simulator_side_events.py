"""The Meta simulator's calls, business-app echoes, preferences and priced statuses: signed
webhooks in Meta's shapes, which wagen's own splitter reads into the right events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.meta.client import MetaClient
from connectors.meta.graph import MetaAuth
from connectors.meta.webhook import split_webhook
from connectors.signatures import SIGNATURE_HEADER, verify_meta_signature
from schemas.events import CallReceived, EchoReceived, PreferenceChanged, StatusReceived
from tests.unit.clients.conftest import APP_SECRET, CUSTOMER, PHONE_NUMBER_ID, MetaSim, Receiver


async def emit(meta_sim: MetaSim, receiver: Receiver, kind: str, **spec: Any) -> Any:
    """Emit one webhook; the one event it splits into (signature checked first)."""
    before = len(receiver.received)
    answer = await meta_sim.control(
        f"webhooks/{kind}", {"phone_number_id": PHONE_NUMBER_ID, **spec}
    )
    assert answer["delivery_status"] == 200
    [delivery] = receiver.received[before:]
    verify_meta_signature(delivery.body, delivery.headers[SIGNATURE_HEADER], APP_SECRET)
    [event] = split_webhook(delivery.body, "acme", datetime.now(UTC))
    return event


async def test_a_customer_call_and_its_end(meta_sim: MetaSim, receiver: Receiver) -> None:
    ringing = await emit(meta_sim, receiver, "call", **{"from": CUSTOMER, "name": "Dana"})
    assert isinstance(ringing, CallReceived)
    assert (ringing.customer, ringing.type, ringing.contact_name) == (CUSTOMER, "connect", "Dana")
    assert ringing.payload.user_initiated
    assert ringing.payload.session is not None
    assert ringing.payload.session.sdp_type == "offer"
    ended = await emit(
        meta_sim,
        receiver,
        "call",
        **{"from": CUSTOMER, "event": "terminate", "id": ringing.message_id, "duration": 0},
    )
    assert isinstance(ended, CallReceived)
    assert (ended.message_id, ended.type, ended.payload.status) == (
        ringing.message_id,
        "terminate",
        "COMPLETED",
    )
    # Calling opens no customer-service window in the simulator.
    assert not meta_sim.sandbox.window_open(PHONE_NUMBER_ID, CUSTOMER)


async def test_a_business_initiated_call_names_the_customer_as_callee(
    meta_sim: MetaSim, receiver: Receiver
) -> None:
    event = await emit(
        meta_sim, receiver, "call", **{"from": CUSTOMER, "direction": "BUSINESS_INITIATED"}
    )
    assert isinstance(event, CallReceived)
    assert event.customer == CUSTOMER
    assert event.payload.to == CUSTOMER


async def test_echoes_of_a_send_an_edit_and_a_delete_open_no_window(
    meta_sim: MetaSim, receiver: Receiver
) -> None:
    sent = await emit(meta_sim, receiver, "echo", to=CUSTOMER, text="Ships today")
    edited = await emit(
        meta_sim, receiver, "echo", to=CUSTOMER, text="Ships tomorrow", edit_of=sent.message_id
    )
    deleted = await emit(meta_sim, receiver, "echo", to=CUSTOMER, revoke_of=sent.message_id)
    for event in (sent, edited, deleted):
        assert isinstance(event, EchoReceived)
        assert event.customer == CUSTOMER
    assert [e.type for e in (sent, edited, deleted)] == ["text", "edit", "revoke"]
    assert len({sent.message_id, edited.message_id, deleted.message_id}) == 3
    assert not meta_sim.sandbox.window_open(PHONE_NUMBER_ID, CUSTOMER)


async def test_an_echo_needs_something_to_say(meta_sim: MetaSim) -> None:
    async with meta_sim.session.post(
        f"{meta_sim.url}/_sandbox/webhooks/echo",
        json={"phone_number_id": PHONE_NUMBER_ID, "to": CUSTOMER},
    ) as response:
        assert response.status == 422


@pytest.mark.parametrize(("value", "opted_out"), [("stop", True), ("resume", False)])
async def test_a_marketing_choice(
    meta_sim: MetaSim, receiver: Receiver, value: str, opted_out: bool
) -> None:
    event = await emit(meta_sim, receiver, "preference", wa_id=CUSTOMER, value=value)
    assert isinstance(event, PreferenceChanged)
    assert (event.customer, event.type) == (CUSTOMER, value)
    assert event.payload.marketing_opt_out is opted_out


async def test_a_status_carries_its_pricing_when_asked(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth, receiver: Receiver
) -> None:
    await meta_sim.control(
        "webhooks/message", {"phone_number_id": PHONE_NUMBER_ID, "from": CUSTOMER, "text": "hi"}
    )
    sent = await meta_client.send(
        meta_auth,
        {
            "messaging_product": "whatsapp",
            "to": f"+{CUSTOMER}",
            "type": "text",
            "text": {"body": "ok"},
        },
    )
    pricing = {"category": "utility", "billable": True, "type": "regular"}
    event = await emit(
        meta_sim, receiver, "status", id=sent.messages[0].id, status="sent", pricing=pricing
    )
    assert isinstance(event, StatusReceived)
    assert event.payload.pricing is not None
    assert (event.payload.pricing.category, event.payload.pricing.billable) == ("utility", True)
    assert event.payload.pricing.pricing_model == "PMP"
