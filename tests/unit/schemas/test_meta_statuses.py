"""Statuses and value-level errors of the WhatsApp webhook (reference section 2.3 and 2.4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.meta import (
    KNOWN_STATUSES,
    Entry,
    ErrorObject,
    MessagesChange,
    MessagesValue,
    Status,
    WebhookPayload,
)
from tests.unit.schemas.bodies import CUSTOMER, webhook_body, webhook_value

PRICING = {
    "billable": True,
    "pricing_model": "PMP",
    "type": "free_customer_service",
    "category": "service",
}
CONVERSATION = {
    "id": "72b14d6bd5407799e66f64d1b338e567",
    "expiration_timestamp": "1750116480",
    "origin": {"type": "marketing"},
}
FAILED_131047 = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {"details": "Message failed to send because more than 24 hours have passed."},
    "href": "/documentation/business-messaging/whatsapp/support/error-codes",
}


def status(value: str, **extra: Any) -> dict[str, Any]:
    """A status of ``wamid.OUT1`` for the customer."""
    return {
        "id": "wamid.OUT1",
        "status": value,
        "timestamp": "1760001000",
        "recipient_id": CUSTOMER,
        **extra,
    }


def parse_value(value: dict[str, Any]) -> MessagesValue:
    """The value of a one-change body."""
    entry = WebhookPayload.model_validate(webhook_body(value)).entry[0]
    assert isinstance(entry, Entry)
    change = entry.changes[0]
    assert isinstance(change, MessagesChange)
    return change.value


@pytest.mark.parametrize(
    "raw",
    [
        status("sent", conversation=CONVERSATION, pricing=PRICING),
        status("delivered", pricing=PRICING, biz_opaque_callback_data="genesys-msg-8c1f"),
        status("read"),
        status("played"),
        status("failed", errors=[FAILED_131047]),
    ],
    ids=["sent", "delivered", "read", "played", "failed"],
)
def test_every_status_parses_and_round_trips(raw: dict[str, Any]) -> None:
    value = parse_value(webhook_value(statuses=[raw]))
    assert value.statuses is not None
    parsed = value.statuses[0]
    assert isinstance(parsed, Status)
    assert parsed.status == raw["status"]
    assert parsed.status in KNOWN_STATUSES
    assert parsed.id == "wamid.OUT1"
    assert parsed.recipient_id == CUSTOMER
    assert parsed.sent_at == datetime(2025, 10, 9, 9, 10, tzinfo=UTC)
    assert parsed.model_dump(mode="json", exclude_none=True) == raw


def test_sent_carries_conversation_and_pricing() -> None:
    parsed = Status.model_validate(status("sent", conversation=CONVERSATION, pricing=PRICING))
    assert parsed.conversation is not None
    assert parsed.conversation.expiration_timestamp == "1750116480"
    assert parsed.conversation.origin is not None
    assert parsed.conversation.origin.type == "marketing"
    assert parsed.pricing is not None
    assert (parsed.pricing.billable, parsed.pricing.pricing_model) == (True, "PMP")


def test_failed_carries_the_error() -> None:
    parsed = Status.model_validate(status("failed", errors=[FAILED_131047]))
    assert parsed.errors is not None
    error = parsed.errors[0]
    assert error.code == 131047
    assert error.error_data is not None
    assert error.error_data.details is not None
    assert error.error_data.details.startswith("Message failed to send")


def test_a_status_meta_adds_later_still_parses() -> None:
    parsed = Status.model_validate(status("deleted"))
    assert parsed.status == "deleted"
    assert parsed.status not in KNOWN_STATUSES


def test_group_and_business_scoped_recipients() -> None:
    group = Status.model_validate(
        status(
            "read",
            recipient_id="group-1",
            recipient_type="group",
            recipient_participant_id="5511900000000",
            recipient_participant_user_id="US.123456",
        )
    )
    assert (group.recipient_type, group.recipient_participant_user_id) == ("group", "US.123456")
    bsuid = status("delivered", recipient_user_id="BR.1502576394655843")
    del bsuid["recipient_id"]
    parsed = Status.model_validate(bsuid)
    assert (parsed.recipient_id, parsed.recipient_user_id) == (None, "BR.1502576394655843")


@pytest.mark.parametrize("missing", ["id", "status", "timestamp"])
def test_a_status_without_its_required_fields_is_an_error(missing: str) -> None:
    raw = status("sent")
    del raw[missing]
    with pytest.raises(ValidationError) as caught:
        Status.model_validate(raw)
    assert caught.value.errors()[0]["loc"] == (missing,)


def test_value_level_errors_alone_and_next_to_messages() -> None:
    platform_error = {
        "code": 131000,
        "title": "Something went wrong",
        "message": "Something went wrong",
        "error_data": {"details": "Unsupported webhook payload"},
    }
    alone = parse_value(webhook_value(errors=[platform_error]))
    assert alone.errors is not None
    assert isinstance(alone.errors[0], ErrorObject)
    assert alone.errors[0].code == 131000
    assert alone.messages is None
    assert alone.statuses is None
    text = {
        "from": CUSTOMER,
        "id": "wamid.A",
        "timestamp": "1",
        "type": "text",
        "text": {"body": "x"},
    }
    both = parse_value(webhook_value(messages=[text], errors=[platform_error]))
    assert both.messages is not None
    assert both.errors is not None
    assert (len(both.messages), len(both.errors)) == (1, 1)


def test_an_error_needs_a_code() -> None:
    value = parse_value(webhook_value(errors=[{"title": "no code"}]))
    [(path, rejected)] = value.rejected()
    assert (path, rejected.field, rejected.raw) == ("value.errors[0]", "code", {"title": "no code"})
