"""Builders of Meta webhook bodies around one value, shaped like the reference's section 2."""

from __future__ import annotations

from typing import Any

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550001111"
WABA_ID = "102290129340398"
CUSTOMER = "5511987654321"


def webhook_value(
    *,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``messages`` change value with the given lists (absent when ``None``)."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
    }
    for key, items in (
        ("contacts", contacts),
        ("messages", messages),
        ("statuses", statuses),
        ("errors", errors),
    ):
        if items is not None:
            value[key] = items
    return value


def webhook_body(*values: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    """A whole body: one entry, one change per value."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": WABA_ID, "changes": [{"field": field, "value": value} for value in values]}
        ],
    }


def customer_contact(name: str = "Ana Souza", wa_id: str = CUSTOMER) -> dict[str, Any]:
    """The ``contacts[]`` entry of the customer."""
    return {"profile": {"name": name}, "wa_id": wa_id}


def message(type_: str, content: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """An inbound message of ``type_``; ``content`` goes under the key named like the type."""
    body: dict[str, Any] = {
        "from": CUSTOMER,
        "id": f"wamid.{type_.upper()}1",
        "timestamp": "1760000000",
        "type": type_,
    }
    if content is not None:
        body[type_] = content
    body.update(extra)
    return body
