"""Builders of the webhook bodies beside ``messages``: calls, business-app echoes, preferences.

Shaped after Meta's documentation (calling/user-initiated-calls, .../reference;
webhooks/reference/smb_message_echoes, .../user_preferences) and the shapes pywa records in
``tests/data/updates/`` (call_connect, call_terminate, call_status, outgoing_message,
user_marketing_preferences); written here, not copied.
"""

from __future__ import annotations

from typing import Any

from tests.unit.schemas.bodies import (
    CUSTOMER,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    customer_contact,
    webhook_body,
)

CALL_ID = "wacid.HBgLMTU1NTEyMzQ1NjcVAgASGCA4QjA1"
ECHO_ID = "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBJFQ0hP"


def _value(**lists: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [customer_contact()],
        **lists,
    }


def call(event: str = "connect", direction: str = "USER_INITIATED", **extra: Any) -> dict[str, Any]:
    """One ``calls[]`` item between the customer and the business number."""
    caller, callee = (
        (CUSTOMER, DISPLAY_NUMBER) if direction == "USER_INITIATED" else (DISPLAY_NUMBER, CUSTOMER)
    )
    item: dict[str, Any] = {
        "id": CALL_ID,
        "from": caller,
        "to": callee,
        "event": event,
        "timestamp": "1760000000",
        "direction": direction,
    }
    if event == "connect":
        item["session"] = {"sdp_type": "offer", "sdp": "v=0\r\n"}
    else:
        item.update(status="COMPLETED", start_time="1760000000", end_time="1760000042", duration=42)
    item.update(extra)
    return item


def calls_body(*calls: dict[str, Any], **lists: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``calls`` webhook with these calls (and ``statuses`` / ``errors`` if given)."""
    return webhook_body(_value(calls=list(calls), **lists), field="calls")


def call_status(status: str = "RINGING") -> dict[str, Any]:
    """A status of a business-initiated call."""
    return {
        "id": CALL_ID,
        "timestamp": "1760000000",
        "type": "call",
        "status": status,
        "recipient_id": CUSTOMER,
    }


def echo(
    type_: str = "text", content: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """One ``message_echoes[]`` item: the business wrote to the customer from the app."""
    item: dict[str, Any] = {
        "from": DISPLAY_NUMBER,
        "to": CUSTOMER,
        "id": ECHO_ID,
        "timestamp": "1760000100",
        "type": type_,
        type_: {"body": "Your order ships today"} if content is None else content,
    }
    item.update(extra)
    return item


def echoes_body(*echoes: dict[str, Any]) -> dict[str, Any]:
    """An ``smb_message_echoes`` webhook."""
    return webhook_body(_value(message_echoes=list(echoes)), field="smb_message_echoes")


def preference(value: str = "stop", **extra: Any) -> dict[str, Any]:
    """One ``user_preferences[]`` item (its timestamp a number, as Meta writes it)."""
    item: dict[str, Any] = {
        "wa_id": CUSTOMER,
        "detail": f"User requested to {value} marketing messages",
        "category": "marketing_messages",
        "value": value,
        "timestamp": 1760000200,
    }
    item.update(extra)
    return item


def preferences_body(*items: dict[str, Any]) -> dict[str, Any]:
    """A ``user_preferences`` webhook."""
    return webhook_body(_value(user_preferences=list(items)), field="user_preferences")
