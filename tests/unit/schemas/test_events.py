"""wagen's Kafka events: versioned, deterministic ids, lossless through JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from schemas.events import (
    WAGEN_EVENT,
    GenesysOutboundReceived,
    MessageReceived,
    StatusReceived,
    WebhookErrorReceived,
    derive_event_id,
)
from schemas.genesys import OUTBOUND_WEBHOOK, OpenUnknownNormalizedMessage
from schemas.meta import ErrorObject, Status
from schemas.meta.messages import TextMessage, UnknownMessage
from tests.unit.schemas.reference import GENESYS_EXAMPLES, load_json

RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
WHATSAPP: dict[str, Any] = {
    "tenant_id": "acme",
    "received_at": RECEIVED,
    "waba_id": "102290129340398",
    "phone_number_id": "106540352242922",
    "display_phone_number": "15550001111",
}


def text_event(**overrides: Any) -> MessageReceived:
    """A MessageReceived of a plain text message."""
    message = TextMessage.model_validate(
        {
            "from": "5511987654321",
            "id": "wamid.AAA",
            "timestamp": "1760000000",
            "type": "text",
            "text": {"body": "Hi"},
            "future_field": {"kept": True},
        }
    )
    fields: dict[str, Any] = {
        **WHATSAPP,
        "event_id": derive_event_id("acme", "message", "wamid.AAA"),
        "message_id": message.id,
        "customer": "5511987654321",
        "type": message.type,
        "timestamp": message.sent_at,
        "contact_name": "Ana Souza",
        "payload": message,
    }
    return MessageReceived(**(fields | overrides))


def test_event_ids_are_deterministic_and_scoped() -> None:
    first = derive_event_id("acme", "message", "wamid.AAA")
    assert first == derive_event_id("acme", "message", "wamid.AAA")
    assert first.version == 5
    assert first != derive_event_id("globex", "message", "wamid.AAA")
    assert first != derive_event_id("acme", "status", "wamid.AAA")
    # Parts never blur into each other.
    assert derive_event_id("acme", "status", "ab", "c") != derive_event_id(
        "acme", "status", "a", "bc"
    )


def test_a_message_event_survives_json() -> None:
    event = text_event()
    decoded = WAGEN_EVENT.validate_json(event.model_dump_json())
    assert decoded == event
    assert isinstance(decoded, MessageReceived)
    assert decoded.payload.model_extra == {"future_field": {"kept": True}}
    dumped = event.model_dump(mode="json")
    assert dumped["schema_version"] == 1
    assert dumped["kind"] == "message"
    assert dumped["payload"]["from"] == "5511987654321"  # vendor spelling, not from_
    assert dumped["timestamp"] == "2025-10-09T08:53:20Z"


def test_a_fallback_message_keeps_its_reason_through_json() -> None:
    unknown = UnknownMessage.model_validate(
        {"from": "1", "id": "wamid.E", "timestamp": "1", "type": "edit", "edit": {"x": 1}}
    )
    event = text_event(payload=unknown, type="edit", problem=None)
    decoded = WAGEN_EVENT.validate_json(event.model_dump_json())
    assert isinstance(decoded, MessageReceived)
    assert isinstance(decoded.payload, UnknownMessage)
    assert decoded.payload.model_extra == {"edit": {"x": 1}}


def test_status_and_error_events_survive_json() -> None:
    status = Status.model_validate(
        {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1760001000", "recipient_id": "1"}
    )
    status_event = StatusReceived(
        **WHATSAPP,
        event_id=derive_event_id("acme", "status", "wamid.OUT1", "delivered", "1", ""),
        message_id=status.id,
        customer="1",
        type=status.status,
        timestamp=status.sent_at,
        payload=status,
    )
    error = ErrorObject.model_validate({"code": 131000, "title": "Something went wrong"})
    error_event = WebhookErrorReceived(
        **WHATSAPP,
        event_id=derive_event_id("acme", "error", "x"),
        type="131000",
        timestamp=RECEIVED,
        payload=error,
    )
    for event in (status_event, error_event):
        assert WAGEN_EVENT.validate_json(event.model_dump_json()) == event
    assert status_event.key == "acme:1"
    assert error_event.key == "acme:106540352242922"
    assert (error_event.message_id, error_event.customer) == (None, None)


def test_a_genesys_event_survives_json() -> None:
    webhook = OUTBOUND_WEBHOOK.validate_python(
        load_json(GENESYS_EXAMPLES / "outbound_webhook_text_ok.json")
    )
    assert not isinstance(webhook, OpenUnknownNormalizedMessage)
    event = GenesysOutboundReceived(
        event_id=derive_event_id("acme", "genesys_outbound", webhook.id),
        tenant_id="acme",
        received_at=RECEIVED,
        message_id=webhook.id,
        customer=webhook.channel.to.id,
        integration_id=webhook.channel.id,
        type=webhook.type,
        timestamp=webhook.channel.time,
        payload=webhook,
    )
    decoded = WAGEN_EVENT.validate_json(event.model_dump_json())
    assert decoded == event
    assert event.key == "acme:+15551234567"
    unknown = OUTBOUND_WEBHOOK.validate_python({"type": "Presence"})
    bare = event.model_copy(update={"payload": unknown, "customer": None, "type": "Presence"})
    assert bare.key == "acme"


def test_the_message_key_keeps_a_conversation_together() -> None:
    assert text_event().key == "acme:5511987654321"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("schema_version", 2),
        ("received_at", datetime(2026, 1, 2, 3, 4, 5)),  # naive: when is that?
        ("tenant_id", ""),
        ("kind", "status"),
    ],
)
def test_the_envelope_is_checked(field: str, value: object) -> None:
    dumped = text_event().model_dump()
    dumped[field] = value
    with pytest.raises(ValidationError):
        MessageReceived.model_validate(dumped)


def test_unknown_envelope_fields_are_refused() -> None:
    dumped = text_event().model_dump(mode="json")
    dumped["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        WAGEN_EVENT.validate_python(dumped)


def test_event_ids_are_uuids_on_the_wire() -> None:
    dumped = text_event().model_dump(mode="json")
    assert UUID(dumped["event_id"]) == derive_event_id("acme", "message", "wamid.AAA")


def test_genesys_events_from_webhook_bodies() -> None:
    text = OUTBOUND_WEBHOOK.validate_python(
        load_json(GENESYS_EXAMPLES / "outbound_webhook_text_ok.json")
    )
    event = GenesysOutboundReceived.from_webhook(text, "acme", RECEIVED)
    assert (event.message_id, event.customer, event.type) == (
        "8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
        "+15551234567",
        "Text",
    )
    assert event.integration_id == "c6b0e62f-8487-44fd-a218-c16e006a7a23"
    assert event.timestamp == datetime(2025, 3, 14, 9, 30, 59, 412000, tzinfo=UTC)
    # A retry of the same body is the same event; a receipt about it is not.
    assert GenesysOutboundReceived.from_webhook(text, "acme", datetime.now(UTC)).event_id == (
        event.event_id
    )
    channel = load_json(GENESYS_EXAMPLES / "outbound_webhook_text_ok.json")["channel"]
    receipts = [
        OUTBOUND_WEBHOOK.validate_python(
            {"id": event.message_id, "channel": channel, "type": "Receipt", "status": status}
        )
        for status in ("Sent", "Delivered")
    ]
    ids = {GenesysOutboundReceived.from_webhook(r, "acme", RECEIVED).event_id for r in receipts}
    assert len(ids | {event.event_id}) == 3


def test_genesys_events_of_unknown_types() -> None:
    with_id = OUTBOUND_WEBHOOK.validate_python({"type": "Presence", "id": "p1"})
    without_id = OUTBOUND_WEBHOOK.validate_python({"type": "Presence", "state": "away"})
    first = GenesysOutboundReceived.from_webhook(with_id, "acme", RECEIVED)
    assert (first.message_id, first.customer, first.timestamp) == ("p1", None, None)
    second = GenesysOutboundReceived.from_webhook(without_id, "acme", RECEIVED)
    assert (
        second.event_id
        == GenesysOutboundReceived.from_webhook(without_id, "acme", RECEIVED).event_id
    )
    assert second.event_id != first.event_id
    assert WAGEN_EVENT.validate_json(second.model_dump_json()) == second
