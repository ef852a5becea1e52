"""wagen's own Kafka events: one per WhatsApp message, status and webhook error, and one per
Genesys outbound webhook body.

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
from schemas.meta.errors import ErrorObject
from schemas.meta.messages import InboundMessage
from schemas.meta.statuses import Status
from schemas.meta.webhook import ContactProfile

EVENT_ID_NAMESPACE: Final = UUID("6f1d8c2e-3b4a-5c6d-8e7f-90a1b2c3d4e5")
"""Namespace of every derived ``event_id``; changing it changes every id (never do)."""

_SEPARATOR: Final = "\x1f"  # ASCII unit separator: cannot occur in ids, so parts never blur


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


class StatusReceived(WhatsAppEvent):
    """Meta reports a status of a message we sent; ``type`` is the status (``delivered``).

    ``customer`` is ``recipient_id`` (a group id for group messages) or ``recipient_user_id``.
    """

    kind: Literal["status"] = "status"
    message_id: str = Field(min_length=1)
    customer: str = Field(min_length=1)
    contact_name: str | None = None
    payload: Status


class WebhookErrorReceived(WhatsAppEvent):
    """A ``value.errors[]`` item: a platform problem, not tied to one message.

    ``type`` is the error code as a string; ``message_id`` and ``customer`` are ``None``;
    ``timestamp`` is ``received_at`` because Meta gives the error no time of its own.
    """

    kind: Literal["error"] = "error"
    message_id: None = None
    customer: None = None
    payload: ErrorObject


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
    MessageReceived | StatusReceived | WebhookErrorReceived, Field(discriminator="kind")
]
"""Any event split out of a Meta webhook, chosen by ``kind``."""

WagenEvent = Annotated[
    MessageReceived | StatusReceived | WebhookErrorReceived | GenesysOutboundReceived,
    Field(discriminator="kind"),
]
"""Any wagen event, chosen by ``kind``."""

WAGEN_EVENT: Final[
    TypeAdapter[MessageReceived | StatusReceived | WebhookErrorReceived | GenesysOutboundReceived]
] = TypeAdapter(WagenEvent)
"""Decodes a record value: ``WAGEN_EVENT.validate_json(record_bytes)``."""
