"""Echoes (``smb_message_echoes``) -> Genesys: what the business sent from the WhatsApp Business
app on the same number, shown to the agent in the customer's conversation, marked as such.

Open Messaging has one way in for content, ``POST .../inbound/open/message``, and it speaks
for the customer only (``channel.from`` is the customer; the endpoint takes no
``direction``). The other way, an agentless outbound message, would be *delivered* to the
customer again through wagen's outbound webhook (Genesys sends every outbound Open Messaging
message there, agentless ones included), so the customer would get the business's message
twice. wagen therefore sends an echo as an inbound message whose text starts with
:data:`ECHO_LINE`, with ``metadata.message_origin`` and the routing attribute
``wa_message_origin`` both ``business_app``: the agent reads it as the business's words, and a
flow can tell it apart. **Lossy**: Genesys shows it on the customer's side of the
transcript; media are named, not carried (the file stays in the app); echoes open no
customer-service window, so they carry no ``wa_window_closes_at``.
"""

from __future__ import annotations

from typing import Final

from connectors.translate import render
from connectors.translate.calls import GenesysCall
from connectors.translate.content import MediaMessage, media_of, render_message
from connectors.translate.context import GenesysTarget
from connectors.translate.render import Rendition
from connectors.translate.routing_context import customer_channel
from schemas.events import EchoReceived
from schemas.genesys.inbound import OpenInboundNormalizedMessage
from schemas.meta.messages import InboundMessage, UnknownMessage, UnsupportedMessage

ECHO_LINE: Final = "[Sent by the business from the WhatsApp Business app]"
"""The first line of every echo: whose words follow."""


def echo_to_genesys(event: EchoReceived, target: GenesysTarget) -> GenesysCall:
    """The one inbound message an echo becomes (see the module docstring)."""
    message = event.payload
    rendition = _rendition(message, target)
    channel = customer_channel(
        event,
        target,
        customer=event.customer,
        name=event.contact_name or None,
        message_id=event.message_id,
        origin="business_app",
    )
    facts = {
        "source": "whatsapp",
        "message_origin": "business_app",
        "message_type": message.type,
        "wagen_event_id": str(event.event_id),
        "waba_id": event.waba_id,
        "phone_number_id": event.phone_number_id,
        "display_phone_number": event.display_phone_number,
        **rendition.facts,
    }
    body = OpenInboundNormalizedMessage(
        channel=channel,
        text=f"{ECHO_LINE}\n{rendition.text}",
        metadata={key: value for key, value in facts.items() if value},
    )
    return GenesysCall(target.integration_id, body)


def _rendition(message: InboundMessage, target: GenesysTarget) -> Rendition:
    """The business's send in words (the customer's renderers where the wording fits)."""
    if isinstance(message, MediaMessage):
        media = media_of(message)
        caption = f": {media.caption}" if media.caption else ""
        article = "an" if message.type[:1] in "aeiou" else "a"
        text = f"({article} {message.type}{caption}; the file stays in the WhatsApp Business app)"
        return Rendition(text, {"media_id": media.id})
    if isinstance(message, UnsupportedMessage):
        kind = message.unsupported.type if message.unsupported else None
        what = f" ({kind})" if kind else ""
        return Rendition(f"A message WhatsApp cannot show to businesses{what}.")
    if isinstance(message, UnknownMessage):
        return _unknown(message, target)
    return render_message(message, target)


def _unknown(message: UnknownMessage, target: GenesysTarget) -> Rendition:
    body = (message.model_extra or {}).get(message.type)
    original = body.get("original_message_id") if isinstance(body, dict) else None
    if message.type in {"revoke", "edit"} and isinstance(original, str):
        named = render.referred_message(original, target.quoted_text(original))
        if message.type == "revoke":
            return Rendition(f"The business deleted {named}.", {"revoked_message_id": original})
        new_text = render.text_of(body.get("message") if isinstance(body, dict) else None)
        edited = f": {new_text}" if new_text else " (no text in the new version)."
        return Rendition(f"The business edited {named}{edited}", {"edited_message_id": original})
    return Rendition(
        f"A message wagen cannot show yet (type '{message.type}').",
        {"parse_problem": message.problem or ""},
    )
