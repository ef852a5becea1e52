"""WhatsApp events -> Genesys Open Messaging calls (customer -> agent).

One inbound message becomes exactly one call: a ``structured/response`` when it answers a
Genesys structured message (a tapped reply button, list row or template quick reply whose
``context.id`` tracking maps to a Genesys message), otherwise a ``message`` with text and at
most one attachment; both carry the routing context in ``channel.metadata.customAttributes``
(:mod:`connectors.translate.routing_context`). Statuses become receipts
(:mod:`connectors.translate.receipts`); the business's own sends from the WhatsApp Business
app become marked messages (:mod:`connectors.translate.echoes`); a call the customer placed
becomes a notice (:mod:`connectors.translate.call_notices`); webhook errors (``kind:
error``) and preference changes become nothing: the pipeline logs and counts errors, and
records preferences. Every choice is in ``docs/mapping.md``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from connectors.translate import render
from connectors.translate.call_notices import call_notice_to_genesys
from connectors.translate.calls import GenesysCall
from connectors.translate.content import MEDIA_TYPES, MediaMessage, media_of, render_message
from connectors.translate.context import GenesysTarget
from connectors.translate.echoes import echo_to_genesys
from connectors.translate.receipts import status_to_genesys
from connectors.translate.routing_context import customer_channel
from schemas.events import (
    CallReceived,
    EchoReceived,
    MessageReceived,
    StatusReceived,
    WhatsAppEvent,
)
from schemas.genesys.inbound import (
    ContentButtonResponse,
    OpenContentAttachment,
    OpenInboundMessageContent,
    OpenInboundMessageMessagingChannel,
    OpenInboundNormalizedMessage,
    OpenInboundStructuredResponseMessage,
)
from schemas.meta.content import ButtonReplyInteractive, ListReplyInteractive
from schemas.meta.messages import (
    ButtonMessage,
    DocumentMessage,
    InboundMessage,
    InteractiveMessage,
    ReactionMessage,
    RequestWelcomeMessage,
    StickerMessage,
    UnknownMessage,
)

_HEX_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")

GROUP_NAME: Final = "WhatsApp group"
"""The name a group's Genesys conversation shows (a group message carries no group name)."""


def event_to_genesys(event: WhatsAppEvent, target: GenesysTarget) -> list[GenesysCall]:
    """The Genesys calls of one WhatsApp event, in order (empty: nothing to forward)."""
    if isinstance(event, MessageReceived):
        if isinstance(event.payload, RequestWelcomeMessage):
            return []  # the customer opened the chat: nothing to show (split ignores it too)
        return [message_to_genesys(event, target)]
    if isinstance(event, StatusReceived):
        return status_to_genesys(event, target)
    if isinstance(event, EchoReceived):
        return [echo_to_genesys(event, target)]
    if isinstance(event, CallReceived):
        return call_notice_to_genesys(event, target)
    return []


def referenced_wamids(event: WhatsAppEvent) -> frozenset[str]:
    """The wamids the translation of ``event`` may look up, for the pipeline to prefetch."""
    if isinstance(event, StatusReceived):
        return frozenset({event.message_id})
    if not isinstance(event, MessageReceived | EchoReceived):
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
    ids = event.customer_ids()
    # A group is one conversation: named as a group, each line says who wrote it.
    channel = customer_channel(
        event,
        target,
        customer=event.customer,
        name=GROUP_NAME if ids.group_id else (event.contact_name or None),
        message_id=event.message_id,
        origin="customer",
        referral=message.referral,
    )
    answer = _structured_response(message, channel, target)
    if answer is not None:
        return GenesysCall(target.integration_id, answer)
    rendition = render_message(message, target)
    attachment = _attachment(message, target) if isinstance(message, MediaMessage) else None
    lines = (*_group_line(event), *_context_lines(message, target), rendition.text)
    text = "\n".join(filter(None, lines))
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
    media = media_of(message)
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


def _group_line(event: MessageReceived) -> list[str]:
    """Who wrote a group message: the group's conversation has many customers."""
    ids = event.customer_ids()
    if not ids.group_id:
        return []
    number = f"+{ids.wa_id}" if ids.wa_id else None
    who = event.contact_name or ids.username or number or ids.user_id or "a participant"
    if event.contact_name and number:
        who = f"{event.contact_name} ({number})"
    return [f"[{who} in the group:]"]


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
    message, ids = event.payload, event.customer_ids()
    return {
        "source": "whatsapp",
        "message_type": message.type,
        "wagen_event_id": str(event.event_id),
        "waba_id": event.waba_id,
        "phone_number_id": event.phone_number_id,
        "display_phone_number": event.display_phone_number,
        "wa_id": ids.wa_id or "",
        "user_id": ids.user_id or "",
        "username": ids.username or "",
        "group_id": ids.group_id or "",
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
