"""Statuses of the messages we sent (``value.statuses[]``).

Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import Field

from schemas.meta._base import MetaTimestamp, WebhookModel, unix_to_datetime
from schemas.meta.errors import ErrorObject

KNOWN_STATUSES: Final = frozenset({"sent", "delivered", "read", "failed", "played"})
"""The ``status`` values Meta documents (``played``: a voice note was played).

``Status.status`` is a plain string so that a value Meta adds later parses instead of failing
the batch; consumers branch on these and ignore the rest.
"""


class ConversationOrigin(WebhookModel):
    """``conversation.origin``: the pricing category that opened the conversation."""

    type: str | None = None


class Conversation(WebhookModel):
    """``conversation``: omitted from webhook v24 on; ``expiration_timestamp`` on ``sent``."""

    id: str | None = None
    expiration_timestamp: MetaTimestamp | None = None
    origin: ConversationOrigin | None = None


class Pricing(WebhookModel):
    """``pricing``: on ``sent`` and on one of ``delivered``/``read`` (``CBP`` or ``PMP``)."""

    billable: bool | None = None
    pricing_model: str | None = None
    type: str | None = None
    category: str | None = None


class Status(WebhookModel):
    """One status of one outbound message (``id`` is our wamid).

    ``recipient_id`` is the customer's ``wa_id`` (a group id for group messages); it may be
    missing for customers known only by the business-scoped ``recipient_user_id``. Statuses
    arrive unordered and at least once: deduplicate on (``id``, ``status``), never downgrade.
    ``biz_opaque_callback_data`` echoes the correlation id we sent.
    """

    id: str = Field(min_length=1)
    status: str = Field(min_length=1)
    timestamp: MetaTimestamp
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_parent_user_id: str | None = None
    recipient_type: str | None = None
    recipient_participant_id: str | None = None
    recipient_participant_user_id: str | None = None
    group_id: str | None = None
    biz_opaque_callback_data: str | None = None
    conversation: Conversation | None = None
    pricing: Pricing | None = None
    errors: list[ErrorObject] | None = None

    @property
    def sent_at(self) -> datetime:
        """``timestamp`` as an aware UTC datetime."""
        return unix_to_datetime(self.timestamp)
