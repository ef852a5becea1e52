"""wagen's own Kafka events: one per WhatsApp message, status and webhook error (and per call,
business-app echo and marketing-preference change), and one per Genesys outbound webhook body.

Every event is an envelope with ``schema_version`` (bump it, and keep reading the old one,
when a field changes meaning), ``event_id``, ``tenant_id``, ``received_at`` (when *we* got
the webhook), ``kind`` and the typed vendor object in ``payload``. The WhatsApp events also
carry the facts every consumer needs without looking inside the payload: ``message_id`` (the
wamid), ``customer``, ``type``, ``phone_number_id`` and ``timestamp``.

``event_id`` is a UUIDv5 derived from the tenant and the vendor's own ids (see
:func:`derive_event_id`), so replaying a webhook yields the same ids and downstream dedupe
works across replays.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Annotated, Final, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas.genesys.webhook import (
    KnownOutboundMessage,
    OpenReceiptNormalizedMessage,
    OpenUnknownNormalizedMessage,
    OutboundWebhook,
)
from schemas.meta.calls import Call
from schemas.meta.envelope import ContactProfile
from schemas.meta.errors import ErrorObject
from schemas.meta.messages import InboundMessage
from schemas.meta.preferences import UserPreference
from schemas.meta.statuses import Status

EVENT_ID_NAMESPACE: Final = UUID("6f1d8c2e-3b4a-5c6d-8e7f-90a1b2c3d4e5")
"""Namespace of every derived ``event_id``; changing it changes every id (never do)."""

_SEPARATOR: Final = "\x1f"  # ASCII unit separator: cannot occur in ids, so parts never blur

_PLUS_DIGITS: Final = re.compile(r"\+([0-9]{5,20})")


def plain_wa_id(value: str | None) -> str | None:
    """A ``wa_id`` as Meta documents it (digits): ``+16505551234`` (seen in some bodies) ->
    ``16505551234``; anything else unchanged, empty -> ``None``."""
    if not value:
        return None
    match = _PLUS_DIGITS.fullmatch(value.strip())
    return match.group(1) if match else value


@dataclass(frozen=True, slots=True)
class CustomerIds:
    """Every id one webhook gives for the customer of an event.

    Attributes:
        wa_id: their number (digits), when Meta shows it.
        user_id: their business-scoped user id (BSUID, 2026+).
        parent_user_id: the parent BSUID, for businesses that enabled it.
        username: their WhatsApp username, when they adopted one.
        group_id: the group the message was written in (the ids above are then the
            participant's, and the conversation is the group's).
    """

    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    group_id: str | None = None

    @property
    def thread(self) -> str | None:
        """What orders and partitions the conversation: the group, else the BSUID (the id
        every 2026 webhook carries, with or without a number), else the number."""
        return self.group_id or self.user_id or self.wa_id


def derive_event_id(tenant_id: str, kind: str, *parts: str) -> UUID:
    """The deterministic id of an event: UUIDv5 of tenant, kind and the vendor ids.

    Args:
        tenant_id: the tenant; the same vendor id in two tenants gives two ids.
        kind: the event kind, so a message and a status of one wamid differ.
        parts: the vendor ids that make the event unique within the tenant and kind.
    """
    return uuid5(EVENT_ID_NAMESPACE, _SEPARATOR.join((tenant_id, kind, *parts)))


class EventEnvelope(BaseModel):
    """Fields every wagen event has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    event_id: UUID
    tenant_id: str = Field(min_length=1)
    received_at: AwareDatetime
    kind: str

    @property
    def key(self) -> str:
        """The Kafka record key: ``tenant_id``, so one tenant's records stay in order."""
        return self.tenant_id


class WhatsAppEvent(EventEnvelope):
    """Fields of every event split out of a Meta webhook.

    ``waba_id`` is the ``entry[].id`` and ``phone_number_id``/``display_phone_number`` come
    from ``value.metadata``: the business number the event concerns.
    """

    waba_id: str
    phone_number_id: str
    display_phone_number: str
    message_id: str | None
    customer: str | None
    type: str
    timestamp: AwareDatetime

    @property
    def key(self) -> str:
        """``tenant_id:customer``, so one conversation stays in order (ARCHITECTURE, Flow).

        Errors concern no customer: they are keyed by the business number instead.
        """
        return f"{self.tenant_id}:{self.customer or self.phone_number_id}"


class MessageReceived(WhatsAppEvent):
    """A customer sent a message.

    ``customer`` is the ``wa_id`` (``from``), or the business-scoped ``user_id`` where Meta
    sends no ``wa_id``. ``contact`` is the matching ``value.contacts[]`` entry (absent for
    system messages). ``problem`` says why a known ``type`` fell back to ``UnknownMessage``.
    """

    kind: Literal["message"] = "message"
    message_id: str = Field(min_length=1)
    customer: str = Field(min_length=1)
    contact_name: str | None = None
    contact: ContactProfile | None = None
    problem: str | None = None
    payload: InboundMessage

    def customer_ids(self) -> CustomerIds:
        """The customer's ids from the message and its contact entry."""
        message, contact = self.payload, self.contact
        profile = contact.profile if contact else None
        group = (message.model_extra or {}).get("group_id")
        return CustomerIds(
            wa_id=plain_wa_id(message.from_ or (contact.wa_id if contact else None)),
            user_id=message.from_user_id or (contact.user_id if contact else None),
            parent_user_id=contact.parent_user_id if contact else None,
            username=profile.username if profile else None,
            group_id=group if isinstance(group, str) and group else None,
        )

    @property
    def key(self) -> str:
        """``tenant_id:thread`` (:attr:`CustomerIds.thread`), so one conversation stays in
        order whichever of the customer's ids a webhook carries."""
        return f"{self.tenant_id}:{self.customer_ids().thread or self.customer}"


class StatusReceived(WhatsAppEvent):
    """Meta reports a status of a message we sent; ``type`` is the status (``delivered``).

    ``customer`` is ``recipient_id`` (a group id for group messages) or ``recipient_user_id``.
    """

    kind: Literal["status"] = "status"
    message_id: str = Field(min_length=1)
    customer: str = Field(min_length=1)
    contact_name: str | None = None
    payload: Status

    @property
    def key(self) -> str:
        """``tenant_id:thread``, like the messages of the same conversation."""
        status = self.payload
        thread = status.group_id or status.recipient_user_id or self.customer
        if status.recipient_type == "group":
            thread = status.group_id or status.recipient_id or thread
        return f"{self.tenant_id}:{thread}"


class WebhookErrorReceived(WhatsAppEvent):
    """A ``value.errors[]`` item: a platform problem, not tied to one message.

    ``type`` is the error code as a string; ``message_id`` and ``customer`` are ``None``;
    ``timestamp`` is ``received_at`` because Meta gives the error no time of its own.
    """

    kind: Literal["error"] = "error"
    message_id: None = None
    customer: None = None
    payload: ErrorObject


class EchoReceived(WhatsAppEvent):
    """The business sent a message from the WhatsApp Business app (coexistence echo).

    ``customer`` is the customer it went to (``wa_id``, or the business-scoped user id when
    Meta sends no number); ``message_id`` is the echo's wamid and ``type`` its message type
    (``edit`` and ``revoke`` included). Never the customer's words; it opens no window.
    """

    kind: Literal["echo"] = "echo"
    message_id: str
    customer: str
    contact_name: str | None = None
    contact: ContactProfile | None = None
    payload: InboundMessage


class CallReceived(WhatsAppEvent):
    """A WhatsApp voice call event (``calls`` webhook): ``type`` is its ``event``.

    ``message_id`` is the call id (``wacid.…``); ``customer`` the WhatsApp user on the other
    end (the caller of a user-initiated call).
    """

    kind: Literal["call"] = "call"
    message_id: str
    customer: str
    contact_name: str | None = None
    payload: Call


class PreferenceChanged(WhatsAppEvent):
    """A customer stopped or resumed marketing messages (``user_preferences`` webhook).

    ``type`` is Meta's ``value`` (``stop``, ``resume``, ``signup``); ``timestamp`` is when the
    customer chose; ``message_id`` is ``None``: the change belongs to no message.
    """

    kind: Literal["preference"] = "preference"
    message_id: None = None
    customer: str
    payload: UserPreference


class GenesysOutboundReceived(EventEnvelope):
    """Genesys POSTed an outbound webhook body (an agent message, typing, receipt...).

    ``message_id`` is the Genesys message id (the receipt's ``id`` later); ``customer`` is
    ``channel.to.id`` and ``integration_id`` is ``channel.id``, when the body has a channel.
    """

    kind: Literal["genesys_outbound"] = "genesys_outbound"
    message_id: str | None
    customer: str | None
    integration_id: str | None
    type: str
    timestamp: AwareDatetime | None
    payload: OutboundWebhook

    @property
    def key(self) -> str:
        """``tenant_id:customer``, matching the WhatsApp events of the same conversation."""
        return f"{self.tenant_id}:{self.customer}" if self.customer else self.tenant_id

    @classmethod
    def from_webhook(
        cls,
        payload: KnownOutboundMessage | OpenUnknownNormalizedMessage,
        tenant_id: str,
        received_at: datetime,
    ) -> GenesysOutboundReceived:
        """The event of one parsed webhook body.

        The id derives from ``type`` and the Genesys ``id`` (a Receipt repeats the id of the
        message it is about, so the type, and for receipts the status, keep them apart);
        Genesys's retries of the same body therefore get the same event id. An unknown type
        without an ``id`` is identified by a hash of its content.
        """
        if isinstance(payload, OpenUnknownNormalizedMessage):
            canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True)
            vendor_id = payload.id or sha256(canonical.encode()).hexdigest()
            return cls(
                event_id=derive_event_id(tenant_id, "genesys_outbound", payload.type, vendor_id),
                tenant_id=tenant_id,
                received_at=received_at,
                message_id=payload.id,
                customer=None,
                integration_id=None,
                type=payload.type,
                timestamp=None,
                payload=payload,
            )
        parts = [payload.type, payload.id]
        if isinstance(payload, OpenReceiptNormalizedMessage):
            parts.append(payload.status)
        return cls(
            event_id=derive_event_id(tenant_id, "genesys_outbound", *parts),
            tenant_id=tenant_id,
            received_at=received_at,
            message_id=payload.id,
            customer=payload.channel.to.id,
            integration_id=payload.channel.id,
            type=payload.type,
            timestamp=payload.channel.time,
            payload=payload,
        )


WhatsAppEventUnion = Annotated[
    MessageReceived
    | StatusReceived
    | WebhookErrorReceived
    | EchoReceived
    | CallReceived
    | PreferenceChanged,
    Field(discriminator="kind"),
]
"""Any event split out of a Meta webhook, chosen by ``kind``."""

AnyWagenEvent = (
    MessageReceived
    | StatusReceived
    | WebhookErrorReceived
    | EchoReceived
    | CallReceived
    | PreferenceChanged
    | GenesysOutboundReceived
)
"""The type of any wagen event."""

WagenEvent = Annotated[AnyWagenEvent, Field(discriminator="kind")]
"""Any wagen event, chosen by ``kind``."""

WAGEN_EVENT: Final[TypeAdapter[AnyWagenEvent]] = TypeAdapter(WagenEvent)
"""Decodes a record value: ``WAGEN_EVENT.validate_json(record_bytes)``."""
