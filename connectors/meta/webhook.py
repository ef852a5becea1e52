"""Split one Meta webhook body into wagen events: one per message, status and error.

Pure: no I/O, no clock (the caller passes ``received_at``). The ``wa.webhooks`` agent calls
:func:`split_webhook` on the stored raw body and produces each event to ``wa.events`` under
``event.key``; ``wagen parse meta`` prints the same events.

What becomes an event (Docs: webhooks overview, "batches"; reference ``meta-whatsapp.md``
section 1.2 and 2): every ``entry[]`` x ``changes[]`` whose ``field`` is ``messages`` yields
one :class:`~schemas.events.MessageReceived` per ``value.messages[]`` item, one
:class:`~schemas.events.StatusReceived` per ``value.statuses[]`` item and one
:class:`~schemas.events.WebhookErrorReceived` per ``value.errors[]`` item, in that order.
``calls``, ``smb_message_echoes`` and ``user_preferences`` changes yield their own events
(:mod:`connectors.meta.side_events`). Changes of any other ``field`` (``account_update``,
template status, group updates...) yield nothing: wagen does not forward them, and the parsed
payload (:func:`parse_webhook`) still shows them to a caller that wants to log them.

What is an error: anything :func:`~connectors.meta.payload.parse_webhook` rejects, and a
message or status that names no customer at all (no ``wa_id`` and no ``user_id`` anywhere),
since it could be neither routed nor answered. Both raise
:class:`~connectors.meta.payload.MetaPayloadError` naming the field. An unknown or malformed
message *type* is not an error (see :mod:`schemas.meta.messages`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.meta.payload import MetaPayloadError, parse_webhook
from connectors.meta.side_events import side_change_events
from schemas.events import (
    MessageReceived,
    StatusReceived,
    WebhookErrorReceived,
    WhatsAppEvent,
    derive_event_id,
    plain_wa_id,
)
from schemas.meta.messages import InboundMessage, UnknownMessage
from schemas.meta.statuses import Status
from schemas.meta.webhook import (
    ContactProfile,
    MessagesChange,
    MessagesValue,
    OtherChange,
    WebhookPayload,
)


def split_webhook(
    raw: bytes | str | Mapping[str, Any], tenant_id: str, received_at: datetime
) -> list[WhatsAppEvent]:
    """Parse a webhook body and return its events.

    Args:
        raw: the body exactly as stored (bytes or text), or already-decoded JSON.
        tenant_id: the tenant the body was received for.
        received_at: when the gateway received it (timezone-aware).

    Raises:
        MetaPayloadError: the body is malformed; ``field`` names the offending field.
        ValueError: ``received_at`` is naive (a caller bug, not a payload problem).
    """
    return split_payload(parse_webhook(raw, tenant_id=tenant_id), tenant_id, received_at)


def split_payload(
    payload: WebhookPayload, tenant_id: str, received_at: datetime
) -> list[WhatsAppEvent]:
    """The events of an already-parsed body (see :func:`split_webhook`)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    events: list[WhatsAppEvent] = []
    for i, entry in enumerate(payload.entry):
        for j, change in enumerate(entry.changes):
            if isinstance(change, MessagesChange):
                where = f"entry[{i}].changes[{j}].value"
                events.extend(_value_events(change.value, entry.id, tenant_id, received_at, where))
            elif isinstance(change, OtherChange):
                where = f"entry[{i}].changes[{j}]"
                events.extend(side_change_events(change, entry.id, tenant_id, received_at, where))
    return events


def _value_events(
    value: MessagesValue, waba_id: str, tenant_id: str, received_at: datetime, where: str
) -> list[WhatsAppEvent]:
    common: dict[str, Any] = {
        "tenant_id": tenant_id,
        "received_at": received_at,
        "waba_id": waba_id,
        "phone_number_id": value.metadata.phone_number_id,
        "display_phone_number": value.metadata.display_phone_number,
    }
    contacts = value.contacts or []
    events: list[WhatsAppEvent] = []
    for k, message in enumerate(value.messages or []):
        events.append(_message_event(message, contacts, common, f"{where}.messages[{k}]"))
    for k, status in enumerate(value.statuses or []):
        events.append(_status_event(status, contacts, common, f"{where}.statuses[{k}]"))
    for error in value.errors or []:
        canonical = json.dumps(error.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        events.append(
            WebhookErrorReceived(
                **common,
                event_id=derive_event_id(
                    tenant_id, "error", value.metadata.phone_number_id, canonical
                ),
                type=str(error.code),
                timestamp=received_at,
                payload=error,
            )
        )
    return events


def _message_event(
    message: InboundMessage,
    contacts: Sequence[ContactProfile],
    common: dict[str, Any],
    where: str,
) -> MessageReceived:
    contact = _matching_contact(contacts, message.from_, message.from_user_id)
    if contact is None and not (message.from_ or message.from_user_id) and len(contacts) == 1:
        contact = contacts[0]  # no id on the message itself: its value's only contact sent it
    group = (message.model_extra or {}).get("group_id")
    customer = (
        (group if isinstance(group, str) and group else None)  # a group is one conversation
        or plain_wa_id(message.from_)
        or plain_wa_id(contact.wa_id if contact else None)
        or message.from_user_id
        or (contact.user_id if contact else None)
    )
    if not customer:
        raise MetaPayloadError(
            f"{where}.from",
            "no from, from_user_id or contact id: the sender is unknown",
            tenant_id=common["tenant_id"],
        )
    return MessageReceived(
        **common,
        event_id=derive_event_id(common["tenant_id"], "message", message.id),
        message_id=message.id,
        customer=customer,
        type=message.type,
        timestamp=message.sent_at,
        contact_name=contact.profile.name if contact and contact.profile else None,
        contact=contact,
        problem=message.problem if isinstance(message, UnknownMessage) else None,
        payload=message,
    )


def _status_event(
    status: Status,
    contacts: Sequence[ContactProfile],
    common: dict[str, Any],
    where: str,
) -> StatusReceived:
    customer = plain_wa_id(status.recipient_id) or status.recipient_user_id
    if not customer:
        raise MetaPayloadError(
            f"{where}.recipient_id",
            "no recipient_id or recipient_user_id: the recipient is unknown",
            tenant_id=common["tenant_id"],
        )
    contact = _matching_contact(contacts, status.recipient_id, status.recipient_user_id)
    participant = status.recipient_participant_id or status.recipient_participant_user_id or ""
    # Deduplicate on (wamid, status) per recipient: a group message has one per participant.
    event_id = derive_event_id(
        common["tenant_id"], "status", status.id, status.status, customer, participant
    )
    return StatusReceived(
        **common,
        event_id=event_id,
        message_id=status.id,
        customer=customer,
        type=status.status,
        timestamp=status.sent_at,
        contact_name=contact.profile.name if contact and contact.profile else None,
        payload=status,
    )


def _matching_contact(
    contacts: Sequence[ContactProfile], wa_id: str | None, user_id: str | None
) -> ContactProfile | None:
    for contact in contacts:
        if (wa_id and contact.wa_id == wa_id) or (user_id and contact.user_id == user_id):
            return contact
    return None
