"""Pydantic models of the WhatsApp Cloud API: webhook bodies, send bodies, Graph errors.

Modules: ``webhook`` (envelope), ``messages`` and ``content`` (inbound messages),
``statuses``, ``errors`` (error objects), ``send`` / ``interactive`` / ``template`` (send
bodies). Field names are Meta's exactly; only ``from`` is spelled ``from_`` in Python.
"""

from schemas.meta.errors import ErrorObject, GraphError, GraphErrorResponse
from schemas.meta.messages import (
    MESSAGE_MODELS,
    AudioMessage,
    ButtonMessage,
    ContactsMessage,
    DocumentMessage,
    ImageMessage,
    InboundMessage,
    InteractiveMessage,
    LocationMessage,
    MessageBase,
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
from schemas.meta.send import SEND_BODY, MarkRead, SendBody, SendMessage, SendResponse
from schemas.meta.statuses import KNOWN_STATUSES, Status
from schemas.meta.webhook import (
    ContactProfile,
    Entry,
    MessagesChange,
    MessagesValue,
    Metadata,
    OtherChange,
    WebhookPayload,
)

__all__ = [
    "KNOWN_STATUSES",
    "MESSAGE_MODELS",
    "SEND_BODY",
    "AudioMessage",
    "ButtonMessage",
    "ContactProfile",
    "ContactsMessage",
    "DocumentMessage",
    "Entry",
    "ErrorObject",
    "GraphError",
    "GraphErrorResponse",
    "ImageMessage",
    "InboundMessage",
    "InteractiveMessage",
    "LocationMessage",
    "MarkRead",
    "MessageBase",
    "MessagesChange",
    "MessagesValue",
    "Metadata",
    "OrderMessage",
    "OtherChange",
    "ReactionMessage",
    "RequestWelcomeMessage",
    "SendBody",
    "SendMessage",
    "SendResponse",
    "Status",
    "StickerMessage",
    "SystemMessage",
    "TextMessage",
    "UnknownMessage",
    "UnsupportedMessage",
    "VideoMessage",
    "WebhookPayload",
]
