"""WhatsApp events -> Genesys Open Messaging calls (customer -> agent).

One inbound message becomes exactly one call: a ``structured/response`` when it answers a
Genesys structured message (a tapped reply button, list row or template quick reply whose
``context.id`` tracking maps to a Genesys message), otherwise a ``message`` with text and at
most one attachment. Statuses become receipts (:mod:`connectors.translate.receipts`);
webhook errors (``kind: error``) become nothing: they concern Meta's platform, not a
conversation, and the pipeline logs and counts them instead. Every choice is in
``docs/mapping.md``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final, Literal

from connectors.translate import render
from connectors.translate.calls import GenesysCall
from connectors.translate.context import GenesysTarget, genesys_customer
from connectors.translate.receipts import status_to_genesys
from connectors.translate.render import Rendition
from schemas.events import MessageReceived, StatusReceived, WhatsAppEvent
from schemas.genesys.inbound import (
    ContentButtonResponse,
    OpenContentAttachment,
    OpenInboundMessageContent,
    OpenInboundMessageMessagingChannel,
    OpenInboundNormalizedMessage,
    OpenInboundStructuredResponseMessage,
    OpenMessagingFromRecipient,
)
from schemas.meta.content import ButtonReplyInteractive, ListReplyInteractive, Media
from schemas.meta.messages import (
    AudioMessage,
    ButtonMessage,
    ContactsMessage,
    DocumentMessage,
    ImageMessage,
    InboundMessage,
    InteractiveMessage,
    LocationMessage,
    OrderMessage,
    ReactionMessage,
    RequestWelcomeMessage,
    StickerMessage,
    SystemMessage,
    TextMessage,
    UnknownMessage,
    UnsupportedMessage,
    VideoMessage,
)

MediaMessage = ImageMessage | VideoMessage | AudioMessage | DocumentMessage | StickerMessage

MEDIA_TYPES: Final[dict[str, Literal["Image", "Video", "Audio", "File"]]] = {
    "image": "Image",
    "video": "Video",
    "audio": "Audio",
    "document": "File",
    "sticker": "Image",
}
"""Genesys ``mediaType`` of each WhatsApp media type (a sticker is a WebP image)."""

_HEX_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")


def event_to_genesys(event: WhatsAppEvent, target: GenesysTarget) -> list[GenesysCall]:
    """The Genesys calls of one WhatsApp event, in order (empty: nothing to forward)."""
    if isinstance(event, MessageReceived):
        if isinstance(event.payload, RequestWelcomeMessage):
            return []  # the customer opened the chat: nothing to show (split ignores it too)
        return [message_to_genesys(event, target)]
    if isinstance(event, StatusReceived):
        return status_to_genesys(event, target)
    return []


def referenced_wamids(event: WhatsAppEvent) -> frozenset[str]:
    """The wamids the translation of ``event`` may look up, for the pipeline to prefetch."""
    if isinstance(event, StatusReceived):
        return frozenset({event.message_id})
    if not isinstance(event, MessageReceived):
        return frozenset()
    message = event.payload
    found = {message.context.id} if message.context and message.context.id else set()
    if isinstance(message, ReactionMessage):
        found.add(message.reaction.message_id)
    if isinstance(message, UnknownMessage) and message.type in {"revoke", "edit"}:
        body = (message.model_extra or {}).get(message.type)
        original = body.get("original_message_id") if isinstance(body, dict) else None
        if isinstance(original, str):
            found.add(original)
    return frozenset(found)


def message_to_genesys(event: MessageReceived, target: GenesysTarget) -> GenesysCall:
    """The one call an inbound message becomes (see the module docstring)."""
    message = event.payload
    name = event.contact_name or None
    customer_id, id_type = genesys_customer(event.customer)
    channel = OpenInboundMessageMessagingChannel(
        from_=OpenMessagingFromRecipient(
            id=customer_id, id_type=id_type, nickname=name, first_name=name
        ),
        time=event.timestamp,
        message_id=event.message_id,
    )
    answer = _structured_response(message, channel, target)
    if answer is not None:
        return GenesysCall(target.integration_id, answer)
    rendition = _render(message, target)
    attachment = _attachment(message, target) if isinstance(message, MediaMessage) else None
    text = "\n".join(filter(None, (*_context_lines(message, target), rendition.text)))
    metadata = {**_event_facts(event), **_context_facts(message, target), **rendition.facts}
    body = OpenInboundNormalizedMessage(
        channel=channel,
        # A message needs text or content: a media message without caption has content.
        text=text if text.strip() or attachment is None else None,
        content=[OpenInboundMessageContent(attachment=attachment)] if attachment else None,
        metadata={key: value for key, value in metadata.items() if value},
    )
    return GenesysCall(target.integration_id, body)


def _structured_response(
    message: InboundMessage, channel: OpenInboundMessageMessagingChannel, target: GenesysTarget
) -> OpenInboundStructuredResponseMessage | None:
    """A button answer to a Genesys structured message; ``None`` for anything else."""
    if isinstance(message, InteractiveMessage) and isinstance(
        message.interactive, ButtonReplyInteractive
    ):
        text, payload = message.interactive.button_reply.title, message.interactive.button_reply.id
    elif isinstance(message, InteractiveMessage) and isinstance(
        message.interactive, ListReplyInteractive
    ):
        text, payload = message.interactive.list_reply.title, message.interactive.list_reply.id
    elif isinstance(message, ButtonMessage):
        text, payload = message.button.text, message.button.payload or message.button.text
    else:
        return None
    answered = message.context.id if message.context else None
    originating = target.genesys_message_id(answered) if answered else None
    if originating is None or not text.strip():
        return None
    # wagen sends a Genesys quick reply as a reply button or list row whose id is the
    # quick reply's payload, so the tap carries Genesys's own payload back.
    return OpenInboundStructuredResponseMessage(
        channel=channel,
        button_response=ContentButtonResponse(type="QuickReply", text=text, payload=payload),
        originating_message_id=originating,
    )


def _render(message: InboundMessage, target: GenesysTarget) -> Rendition:
    """The agent-readable text of any message type (a media message: its caption)."""
    if isinstance(message, TextMessage):
        body = message.text.body
        return Rendition(body if body.strip() else "(empty message)")
    if isinstance(message, MediaMessage):
        return _media_rendition(message)
    if isinstance(message, LocationMessage):
        return render.location(message.location)
    if isinstance(message, ContactsMessage):
        return render.contacts(message.contacts)
    if isinstance(message, InteractiveMessage):
        return render.interactive(message.interactive)
    if isinstance(message, ButtonMessage):
        return render.button(message.button)
    if isinstance(message, ReactionMessage):
        target_id = message.reaction.message_id
        quoted = target.quoted_text(target_id)
        return render.reaction(target_id, message.reaction.emoji, quoted)
    if isinstance(message, OrderMessage):
        return render.order(message.order)
    if isinstance(message, SystemMessage):
        return render.system(message.system)
    if isinstance(message, RequestWelcomeMessage):
        return Rendition("The customer opened the chat (nothing written yet).")
    if isinstance(message, UnsupportedMessage):
        kind = message.unsupported.type if message.unsupported else None
        return render.unsupported(kind, message.errors)
    extra = message.model_extra or {}
    return render.unknown(message.type, extra, message.problem, message.errors, target.quoted_text)


def _media(message: MediaMessage) -> Media:
    if isinstance(message, ImageMessage):
        return message.image
    if isinstance(message, VideoMessage):
        return message.video
    if isinstance(message, AudioMessage):
        return message.audio
    if isinstance(message, DocumentMessage):
        return message.document
    return message.sticker


def _media_rendition(message: MediaMessage) -> Rendition:
    media = _media(message)
    facts = {"media_id": media.id}
    if isinstance(message, AudioMessage) and message.audio.voice:
        facts["voice_note"] = "true"
    if isinstance(message, StickerMessage) and message.sticker.animated:
        facts["animated_sticker"] = "true"
    return Rendition(media.caption or "", facts)


def _hex_sha256(value: str | None) -> str | None:
    """Meta's base64 SHA-256 as hex (Genesys's examples use hex); ``None`` if not a SHA-256."""
    if value is None:
        return None
    if _HEX_SHA256.fullmatch(value):
        return value.lower()
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest.hex() if len(digest) == 32 else None


def _attachment(message: MediaMessage, target: GenesysTarget) -> OpenContentAttachment:
    media = _media(message)
    # Meta always sends mime_type in practice; a sticker is WebP by definition.
    fallback = "image/webp" if isinstance(message, StickerMessage) else "application/octet-stream"
    return OpenContentAttachment(
        media_type=MEDIA_TYPES[message.type],
        url=target.media_url(media.id),
        mime=media.mime_type or fallback,
        filename=message.document.filename if isinstance(message, DocumentMessage) else None,
        sha256=_hex_sha256(media.sha256),
        text=media.caption or None,
    )


def _context_lines(message: InboundMessage, target: GenesysTarget) -> list[str]:
    """Lines put above the text: forwarded, the ad it came from, the product, the quote."""
    lines = []
    context = message.context
    if context and context.frequently_forwarded:
        lines.append("[Forwarded many times]")
    elif context and context.forwarded:
        lines.append("[Forwarded]")
    if message.referral:
        ref = message.referral
        origin = ref.headline or ref.source_url or ref.source_id or "unknown"
        lines.append(f"[Came from a WhatsApp {ref.source_type or 'referral'}: {origin}]")
    if context and context.referred_product:
        product = context.referred_product
        lines.append(
            f"[About product {product.product_retailer_id} of catalog {product.catalog_id}]"
        )
    if context and context.id and not isinstance(message, ReactionMessage):
        quoted = target.quoted_text(context.id)
        if quoted:
            lines.append(f"[In reply to {render.quote(quoted)}]")
    return lines


def _event_facts(event: MessageReceived) -> dict[str, str]:
    message, contact = event.payload, event.contact
    profile = contact.profile if contact else None
    return {
        "source": "whatsapp",
        "message_type": message.type,
        "wagen_event_id": str(event.event_id),
        "waba_id": event.waba_id,
        "phone_number_id": event.phone_number_id,
        "display_phone_number": event.display_phone_number,
        "wa_id": message.from_ or (contact.wa_id if contact else None) or "",
        "user_id": message.from_user_id or (contact.user_id if contact else None) or "",
        "username": (profile.username if profile else None) or "",
    }


def _context_facts(message: InboundMessage, target: GenesysTarget) -> dict[str, str]:
    facts: dict[str, str] = {}
    context = message.context
    if context and context.id:
        facts["reply_to_message_id"] = context.id
        facts["reply_to_genesys_message_id"] = target.genesys_message_id(context.id) or ""
    if context and (context.forwarded or context.frequently_forwarded):
        facts["forwarded"] = "many_times" if context.frequently_forwarded else "true"
    if context and context.referred_product:
        facts["referred_catalog_id"] = context.referred_product.catalog_id or ""
        facts["referred_product_retailer_id"] = context.referred_product.product_retailer_id or ""
    if message.referral:
        ref = message.referral
        for key, value in (
            ("referral_source_type", ref.source_type),
            ("referral_source_id", ref.source_id),
            ("referral_source_url", ref.source_url),
            ("referral_headline", ref.headline),
            ("referral_ctwa_clid", ref.ctwa_clid),
        ):
            facts[key] = value or ""
    return facts
