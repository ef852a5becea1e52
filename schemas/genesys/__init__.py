"""Pydantic models of Genesys Cloud Open Messaging: the bodies we POST and its webhook.

Python attributes are snake_case, the wire is camelCase through explicit aliases; dump with
``model_dump(mode="json", exclude_none=True)`` (aliases are used by default).
"""

from schemas.genesys._base import REASON_CODES, IdType, MediaType, ReasonCode
from schemas.genesys.inbound import (
    ContentButtonResponse,
    ConversationChannelMetadata,
    ConversationEventTyping,
    ConversationReason,
    OpenContentAttachment,
    OpenEvent,
    OpenInboundMessageContent,
    OpenInboundMessageMessagingChannel,
    OpenInboundMessagingChannel,
    OpenInboundMessagingReceiptChannel,
    OpenInboundNormalizedEvent,
    OpenInboundNormalizedMessage,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
    OpenMessagingFromRecipient,
    OpenMessagingToRecipient,
)
from schemas.genesys.webhook import (
    OUTBOUND_WEBHOOK,
    KnownOutboundMessage,
    OpenEventNormalizedMessage,
    OpenMessageNormalizedMessage,
    OpenMessagingChannel,
    OpenReceiptNormalizedMessage,
    OpenStructuredNormalizedMessage,
    OpenUnknownNormalizedMessage,
    OutboundWebhook,
)

__all__ = [
    "OUTBOUND_WEBHOOK",
    "REASON_CODES",
    "ContentButtonResponse",
    "ConversationChannelMetadata",
    "ConversationEventTyping",
    "ConversationReason",
    "IdType",
    "KnownOutboundMessage",
    "MediaType",
    "OpenContentAttachment",
    "OpenEvent",
    "OpenEventNormalizedMessage",
    "OpenInboundMessageContent",
    "OpenInboundMessageMessagingChannel",
    "OpenInboundMessagingChannel",
    "OpenInboundMessagingReceiptChannel",
    "OpenInboundNormalizedEvent",
    "OpenInboundNormalizedMessage",
    "OpenInboundNormalizedReceipt",
    "OpenInboundStructuredResponseMessage",
    "OpenMessageNormalizedMessage",
    "OpenMessagingChannel",
    "OpenMessagingFromRecipient",
    "OpenMessagingToRecipient",
    "OpenReceiptNormalizedMessage",
    "OpenStructuredNormalizedMessage",
    "OpenUnknownNormalizedMessage",
    "OutboundWebhook",
    "ReasonCode",
]
