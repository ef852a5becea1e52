"""The agent-readable rendition of any inbound message's content, whoever sent it.

Shared by the customer's messages (:mod:`connectors.translate.to_genesys`) and the
business's own sends from the WhatsApp Business app (:mod:`connectors.translate.echoes`):
text as it is, a media message as its caption, every other type written out by
:mod:`connectors.translate.render`.
"""

from __future__ import annotations

from typing import Final, Literal

from connectors.translate import render
from connectors.translate.context import GenesysTarget
from connectors.translate.render import Rendition
from schemas.meta.content import Media
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
    UnsupportedMessage,
    VideoMessage,
)

MediaMessage = ImageMessage | VideoMessage | AudioMessage | DocumentMessage | StickerMessage
"""The message types that carry a media object under the key named by their ``type``."""

MEDIA_TYPES: Final[dict[str, Literal["Image", "Video", "Audio", "File"]]] = {
    "image": "Image",
    "video": "Video",
    "audio": "Audio",
    "document": "File",
    "sticker": "Image",
}
"""Genesys ``mediaType`` of each WhatsApp media type (a sticker is a WebP image)."""


def render_message(message: InboundMessage, target: GenesysTarget) -> Rendition:
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


def media_of(message: MediaMessage) -> Media:
    """The media object of a media message, whatever its type."""
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
    media = media_of(message)
    facts = {"media_id": media.id}
    if isinstance(message, AudioMessage) and message.audio.voice:
        facts["voice_note"] = "true"
    if isinstance(message, StickerMessage) and message.sticker.animated:
        facts["animated_sticker"] = "true"
    return Rendition(media.caption or "", facts)
