"""The routing context wagen puts in ``channel.metadata.customAttributes`` of inbound messages.

Genesys turns these attributes into participant data of the customer, which an Architect
Inbound Message flow reads with *Get Participant Data* (Ada's production Genesys handoff
documents the same path), so a flow can route on where the customer came from and what may
be sent to them. The flat top-level ``metadata`` keeps carrying the message's facts as before;
this is the per-conversation context. Every value is a string (the field is a string map);
an attribute with nothing to say is left out.

============================  =============================================================
attribute                     value
============================  =============================================================
``wa_message_origin``         ``customer`` (their message), ``business_app`` (an echo of the
                              business's own send from the WhatsApp Business app), ``call``
                              (a notice that the customer tried to call)
``wa_waba_id``                the WhatsApp Business Account (``entry[].id``)
``wa_phone_number_id``        the business number written to (its Graph id)
``wa_display_phone_number``   the same number as the customer dials it
``wa_ctwa_clid``              the Click-to-WhatsApp click id of the message's ``referral``
``wa_ad_id``                  the ad's id (``referral.source_id`` when ``source_type`` is ad)
``wa_referral_source_type``   ``ad`` or ``post``, when the message came from one
``wa_window_closes_at``       when the 24-hour customer-service window this message opened
                              closes (customer messages only; UTC, ISO 8601)
``wa_marketing_opt_out``      ``true`` when the customer stopped marketing messages,
                              ``false`` when they did not or resumed; absent when unknown
============================  =============================================================
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal

from connectors.translate.context import GenesysTarget, genesys_customer
from schemas.events import WhatsAppEvent
from schemas.genesys._base import format_genesys_time
from schemas.genesys.inbound import (
    ConversationChannelMetadata,
    OpenInboundMessageMessagingChannel,
    OpenMessagingFromRecipient,
)
from schemas.meta.content import Referral

SERVICE_WINDOW: Final = timedelta(hours=24)
"""A customer message opens (or renews) a 24-hour window for free-form replies (Meta)."""

Origin = Literal["customer", "business_app", "call"]
"""Who a message shown to the agent comes from."""


def routing_attributes(
    event: WhatsAppEvent,
    target: GenesysTarget,
    *,
    origin: Origin,
    customer: str,
    referral: Referral | None = None,
) -> dict[str, str]:
    """The attributes of one inbound call to Genesys (see the module docstring).

    Args:
        event: the WhatsApp event the call carries (its business number and time).
        target: run-time facts; its ``marketing_opt_out`` lookup gives the choice.
        origin: who the shown message comes from; only a customer's message opens a window.
        customer: wagen's customer id (``event.customer``).
        referral: the message's Click-to-WhatsApp referral, if any.
    """
    attributes = {
        "wa_message_origin": origin,
        "wa_waba_id": event.waba_id,
        "wa_phone_number_id": event.phone_number_id,
        "wa_display_phone_number": event.display_phone_number,
    }
    if referral is not None:
        attributes["wa_ctwa_clid"] = referral.ctwa_clid or ""
        attributes["wa_referral_source_type"] = referral.source_type or ""
        if (referral.source_type or "").casefold() == "ad":
            attributes["wa_ad_id"] = referral.source_id or ""
    if origin == "customer":
        attributes["wa_window_closes_at"] = _window_end(event.timestamp)
    opted_out = target.marketing_opt_out(customer)
    if opted_out is not None:
        attributes["wa_marketing_opt_out"] = "true" if opted_out else "false"
    return {key: value for key, value in attributes.items() if value}


def customer_channel(
    event: WhatsAppEvent,
    target: GenesysTarget,
    *,
    customer: str,
    name: str | None,
    message_id: str,
    origin: Origin,
    referral: Referral | None = None,
) -> OpenInboundMessageMessagingChannel:
    """``channel`` of an inbound call in the customer's conversation, with the context.

    Whatever is shown (the customer's words, an echo, a call notice), ``from`` is the
    customer — their stable key when the identity store gave one (``target.customer_key``),
    else ``customer``: Genesys threads a conversation per ``channel.from.id``.
    """
    customer = target.customer_key or customer
    customer_id, id_type = genesys_customer(customer)
    attributes = routing_attributes(
        event, target, origin=origin, customer=customer, referral=referral
    )
    return OpenInboundMessageMessagingChannel(
        from_=OpenMessagingFromRecipient(
            id=customer_id, id_type=id_type, nickname=name, first_name=name
        ),
        time=event.timestamp,
        message_id=message_id,
        metadata=ConversationChannelMetadata(custom_attributes=attributes),
    )


def _window_end(sent_at: datetime) -> str:
    return format_genesys_time(sent_at + SERVICE_WINDOW)
