"""Genesys outbound webhook bodies -> Meta Graph API calls (agent -> customer).

* ``Text``: the attachment (uploaded, then sent by id) and the text, as caption when it fits,
  else as text messages split at 4096 characters.
* ``Structured``: the same, with the quick replies as reply buttons, a list, or numbered text
  (:func:`~connectors.translate.meta_content.choice_bodies`).
* ``Event`` (agent typing): a mark-as-read with typing indicator on the customer's latest
  message, when tracking knows it; otherwise nothing (Meta shows typing no other way).
* ``Receipt`` and unknown types: nothing to send. Genesys reports its own receipts to us only
  as an echo, and an unknown type is logged by the pipeline.

The customer is addressed as :class:`~connectors.translate.context.MetaTarget` says (the
identity store: their current number, else their business-scoped user id, or a group), or,
without it, as ``channel.to.id`` reads (a number, or a BSUID).
``biz_opaque_callback_data`` is never set: Meta's v23 spec rejects it on message bodies, and
wagen correlates statuses by wamid through tracking instead. Every choice is in
``docs/mapping.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from connectors.translate.calls import MediaUpload, MetaCall
from connectors.translate.context import MetaTarget, Recipient, meta_recipient
from connectors.translate.errors import GenesysPayloadError
from connectors.translate.meta_content import attachment_bodies, choice_bodies, text_bodies
from schemas.events import GenesysOutboundReceived
from schemas.genesys.webhook import (
    OUTBOUND_WEBHOOK,
    ConversationContentAttachment,
    KnownOutboundMessage,
    OpenEventNormalizedMessage,
    OpenMessageContent,
    OpenMessageNormalizedMessage,
    OpenStructuredNormalizedMessage,
    OpenUnknownNormalizedMessage,
    StructuredContent,
)
from schemas.json_body import MAX_DEPTH, BodyDecodeError, decode_body, nested_deeper_than
from schemas.meta.send import MarkRead, SendMessage, TypingIndicator

MediaUploadOrSend = MediaUpload | SendMessage
"""A body of ``/{phone-number-id}/media`` or of a message send."""


@dataclass(frozen=True)
class ParsedOutbound:
    """A parsed outbound webhook, and the JSON paths where lone UTF-16 surrogates or NULs were
    replaced by U+FFFD (:mod:`schemas.json_body`)."""

    message: KnownOutboundMessage | OpenUnknownNormalizedMessage
    repaired: tuple[str, ...] = ()


def read_outbound(
    raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None
) -> ParsedOutbound:
    """Decode and validate one outbound webhook body.

    Raises:
        GenesysPayloadError: not JSON, not an object, or a known ``type`` that is malformed;
            ``field`` names the first offending field.
    """
    try:
        decoded = decode_body(raw)
    except BodyDecodeError as exc:
        raise GenesysPayloadError("body", exc.reason, tenant_id=tenant_id) from exc
    if not isinstance(decoded.value, Mapping):
        raise GenesysPayloadError("body", "expected a JSON object", tenant_id=tenant_id)
    if nested_deeper_than(decoded.value):
        reason = f"nested deeper than {MAX_DEPTH} levels"
        raise GenesysPayloadError("body", reason, tenant_id=tenant_id)
    try:
        return ParsedOutbound(OUTBOUND_WEBHOOK.validate_python(decoded.value), decoded.repaired)
    except ValidationError as exc:
        raise GenesysPayloadError.from_validation(exc, tenant_id=tenant_id) from exc
    except RecursionError as exc:
        raise GenesysPayloadError("body", "nested too deeply", tenant_id=tenant_id) from exc


def parse_outbound(
    raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None
) -> KnownOutboundMessage | OpenUnknownNormalizedMessage:
    """Decode and validate one outbound webhook body (see :func:`read_outbound`).

    Raises:
        GenesysPayloadError: the body is not an outbound webhook wagen can read.
    """
    return read_outbound(raw, tenant_id=tenant_id).message


def event_to_meta(event: GenesysOutboundReceived, target: MetaTarget) -> list[MetaCall]:
    """The Meta calls of one Genesys outbound event, in order (empty: nothing to send)."""
    return outbound_to_meta(event.payload, target, tenant_id=event.tenant_id)


def outbound_to_meta(
    message: KnownOutboundMessage | OpenUnknownNormalizedMessage,
    target: MetaTarget,
    *,
    tenant_id: str | None = None,
) -> list[MetaCall]:
    """The Meta calls of one parsed webhook body, in the order they must be made.

    Raises:
        GenesysPayloadError: the message cannot be sent (``channel.to.id`` is not a phone
            number, an attachment has no ``url``).
    """
    if isinstance(message, OpenMessageNormalizedMessage | OpenStructuredNormalizedMessage):
        bodies = _message_bodies(message, target, tenant_id)
        return [MetaCall(target.phone_number_id, body) for body in bodies]
    if isinstance(message, OpenEventNormalizedMessage):
        return _typing_calls(message, target)
    return []


def _recipient(
    message: OpenMessageNormalizedMessage | OpenStructuredNormalizedMessage,
    target: MetaTarget,
    tenant_id: str | None,
) -> Recipient:
    to = target.recipient or meta_recipient(message.channel.to.id)
    if to is None:
        raise GenesysPayloadError(
            "channel.to.id",
            "neither a phone number nor a business-scoped user id, and no WhatsApp customer "
            "or group wagen knows: WhatsApp's send API cannot address it",
            tenant_id=tenant_id,
        )
    return to


def _attachments(
    message: OpenMessageNormalizedMessage | OpenStructuredNormalizedMessage,
) -> list[tuple[int, ConversationContentAttachment]]:
    items: Sequence[OpenMessageContent | StructuredContent] = message.content or ()
    return [
        (index, item.attachment)
        for index, item in enumerate(items)
        if item.content_type == "Attachment" and item.attachment is not None
    ]


def _message_bodies(
    message: OpenMessageNormalizedMessage | OpenStructuredNormalizedMessage,
    target: MetaTarget,
    tenant_id: str | None,
) -> list[MediaUploadOrSend]:
    options = _quick_replies(message)
    attachments = _attachments(message)
    text = (message.text or "").strip()
    if not (text or options or attachments):
        return []
    to = _recipient(message, target, tenant_id)
    bodies: list[MediaUploadOrSend] = []
    for index, attachment in attachments:
        if attachment.media_type == "Link" and attachment.url:
            # A link is not a file: it goes in the text, where WhatsApp previews it.
            text = f"{text}\n{attachment.url}" if text else attachment.url
            continue
        if not attachment.url:
            raise GenesysPayloadError(
                f"content[{index}].attachment.url",
                "missing; there is no file to send",
                tenant_id=tenant_id,
            )
        # The quick replies' body takes the text when there are any; else the first
        # attachment that takes a caption does.
        caption = (text or attachment.text or None) if not options else None
        upload, send, used = attachment_bodies(to, attachment, attachment.url, caption)
        bodies.extend((upload, send))
        if used and caption == text:
            text = ""
    if options:
        bodies.extend(choice_bodies(to, text, options))
    elif text:
        bodies.extend(text_bodies(to, text))
    return bodies


def _quick_replies(
    message: OpenMessageNormalizedMessage | OpenStructuredNormalizedMessage,
) -> list[tuple[str, str]]:
    """``(id, title)`` of each quick reply: the id is Genesys's payload (else the text)."""
    if not isinstance(message, OpenStructuredNormalizedMessage):
        return []
    options = []
    for item in message.content:
        reply = item.quick_reply
        if item.content_type == "QuickReply" and reply is not None and reply.text.strip():
            options.append((reply.payload or reply.text.strip(), reply.text.strip()))
    return options


def _typing_calls(message: OpenEventNormalizedMessage, target: MetaTarget) -> list[MetaCall]:
    typing = any(
        event.event_type == "Typing"
        and (event.typing is None or event.typing.type.casefold() == "on")
        for event in message.events
    )
    wamid = target.last_inbound_wamid(message.channel.to.id) if typing else None
    if wamid is None or (target.recipient is not None and target.recipient.is_group):
        return []  # nothing to attach it to; or a group, where typing would mark all read
    body = MarkRead(
        messaging_product="whatsapp",
        status="read",
        message_id=wamid,
        typing_indicator=TypingIndicator(type="text"),
    )
    return [MetaCall(target.phone_number_id, body)]
