"""One wagen event per item of a Meta webhook: message, status or value-level error.

``common`` holds the facts every event of a ``messages`` change shares (tenant, received_at,
WABA, business number); the split (:mod:`connectors.meta.webhook`) builds it once per change.
Event ids derive from Meta's own ids (:func:`~schemas.events.derive_event_id`), so a replay
yields the same ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from schemas.events import (
    MessageReceived,
    StatusReceived,
    WebhookErrorReceived,
    derive_event_id,
    plain_wa_id,
)
from schemas.meta.errors import ErrorObject
from schemas.meta.messages import InboundMessage, UnknownMessage
from schemas.meta.statuses import Status
from schemas.meta.webhook import ContactProfile
from schemas.parsing import Rejected


class ItemRefusedError(ValueError):
    """A parsed item that still cannot become an event (it names no customer).

    Raised by the builders below for :mod:`connectors.meta.webhook` to reject the item alone;
    never leaves that module.
    """

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field_name = field_name
        self.reason = reason

    def item(self, raw: Any) -> Rejected:
        """The refused item, as the split rejects it."""
        return Rejected(raw=raw, field=self.field_name, reason=self.reason)


def error_event(error: ErrorObject, common: dict[str, Any]) -> WebhookErrorReceived:
    """The event of a ``value.errors[]`` item; its id hashes the error (it has no id)."""
    canonical = json.dumps(error.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return WebhookErrorReceived(
        **common,
        event_id=derive_event_id(
            common["tenant_id"], "error", common["phone_number_id"], canonical
        ),
        type=str(error.code),
        timestamp=common["received_at"],
        payload=error,
    )


def message_event(
    message: InboundMessage, contacts: Sequence[ContactProfile], common: dict[str, Any]
) -> MessageReceived:
    """The event of a message; the customer is its group (a group is one conversation), else
    its ``wa_id`` (``+`` stripped), else its business-scoped id.

    Raises:
        ItemRefusedError: the message names no customer at all.
    """
    contact = _matching_contact(contacts, message.from_, message.from_user_id)
    if contact is None and not (message.from_ or message.from_user_id) and len(contacts) == 1:
        contact = contacts[0]  # no id on the message itself: its value's only contact sent it
    group = (message.model_extra or {}).get("group_id")
    customer = (
        (group if isinstance(group, str) and group else None)
        or plain_wa_id(message.from_)
        or plain_wa_id(contact.wa_id if contact else None)
        or message.from_user_id
        or (contact.user_id if contact else None)
    )
    if not customer:
        raise ItemRefusedError("from", "no from, from_user_id or contact id: the sender is unknown")
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


def status_event(
    status: Status, contacts: Sequence[ContactProfile], common: dict[str, Any]
) -> StatusReceived:
    """The event of a status of one of our messages.

    Raises:
        ItemRefusedError: the status names no recipient.
    """
    customer = plain_wa_id(status.recipient_id) or status.recipient_user_id
    if not customer:
        raise ItemRefusedError(
            "recipient_id", "no recipient_id or recipient_user_id: the recipient is unknown"
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
