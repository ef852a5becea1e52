"""Coexistence: what the business sent from the WhatsApp Business app on the same number.

A number used in both the Cloud API and the WhatsApp Business app ("coexistence") reports
the app's own sends as ``smb_message_echoes`` changes: ``value.message_echoes[]`` items shaped
like inbound messages (``id``, ``timestamp``, ``type`` and the content object, including
``edit`` and ``revoke`` of an earlier send), where ``from`` is the business number and ``to``
the customer (``to_user_id``: the customer's business-scoped user id). Echoes are the
business's words, never the customer's, and they do not open the customer-service window.

The items reuse :data:`~schemas.meta.messages.InboundMessage` (same types, same fallbacks for
odd ones); ``to`` / ``to_user_id`` are extra fields there, read by :func:`echo_recipient`.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
and pywa ``tests/data/updates/outgoing_message.json``.
"""

from __future__ import annotations

from typing import Literal

from schemas.meta._base import WebhookModel
from schemas.meta.envelope import ContactProfile, Metadata, OtherChange
from schemas.meta.messages import InboundMessage, MessageBase


class EchoesValue(WebhookModel):
    """``value`` of an ``smb_message_echoes`` change."""

    messaging_product: Literal["whatsapp"]
    metadata: Metadata
    contacts: list[ContactProfile] | None = None
    message_echoes: list[InboundMessage] | None = None


class EchoesChange(OtherChange):
    """A change with ``field == "smb_message_echoes"``."""

    field: Literal["smb_message_echoes"]
    value: EchoesValue


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def echo_recipient(echo: MessageBase, business_number: str) -> tuple[str | None, str | None]:
    """The customer an echo went to: their ``wa_id`` and business-scoped user id.

    ``to`` names the customer; some recorded echoes (pywa's edit and revoke samples) swap
    ``from`` and ``to``, so whichever of the two is not the business number
    (``display_phone_number``) is taken.
    """
    extra = echo.model_extra or {}
    to, sender = _text(extra.get("to")), echo.from_
    business = "".join(ch for ch in business_number if ch.isdigit())
    parties = [party for party in (to, sender) if party and party != business]
    return (parties[0] if parties else None), _text(extra.get("to_user_id"))
