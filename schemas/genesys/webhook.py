"""The outbound webhook body Genesys POSTs to us (agent -> customer).

One message per POST, routed by ``type``: ``Text`` (:class:`OpenMessageNormalizedMessage`,
text and at most one attachment), ``Event`` (agent typing), ``Structured`` (quick replies;
no typed Genesys model, shape modelled on the SDK's ``ConversationContentQuickReply``:
unconfirmed) and ``Receipt``. Any other ``type`` parses as
:class:`OpenUnknownNormalizedMessage` with every field kept, so the handler can answer 200 and
log it. Unknown fields are kept everywhere (``direction`` is not in the typed models but is
on the wire). What *is* checked: a known ``type`` must be well formed, ``channel.platform``
is ``Open`` and a Text message holds at most one attachment; a body that breaks those is not
an Open Messaging webhook we can act on.

Enums are matched case-insensitively, as Genesys's SDKs read them (the Python SDK's model
setters compare ``value.lower()`` with the allowed values): ``"type": "text"`` is a Text
message, and every enum field holds Genesys's own spelling after parsing. A value the SDK
does not know is kept as sent (the SDK keeps it too, as ``outdated_sdk_version``).
Docs: https://developer.genesys.cloud/commdigital/digital/openmessaging/outboundMessages and
reference ``genesys-open-messaging.md`` section 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BeforeValidator, Field, TypeAdapter, WrapValidator, model_validator

from schemas.genesys._base import GenesysTime, GenesysWebhookModel, canonical_case
from schemas.parsing import route_by_tag

# The SDK's allowed values (platform-client-sdk-python, models/*.py, ``allowed_values``).
CONTENT_TYPES: Final = (
    "Reactions", "Attachment", "Location", "QuickReply", "Notification", "ButtonResponse",
    "Story", "Mention", "Card", "Carousel", "Text", "QuickReplyV2", "DatePicker",
    "InteractiveApplication", "ListPicker", "PaymentRequest", "PaymentResponse", "Push",
    "Form", "RoadsideAssistance", "RichLink", "NotificationResponse", "Unknown",
)  # fmt: skip
"""``ConversationMessageContent.contentType``."""

ContentType = Annotated[str, BeforeValidator(canonical_case(*CONTENT_TYPES))]
MediaTypeName = Annotated[
    str, BeforeValidator(canonical_case("Image", "Video", "Audio", "File", "Link"))
]
IdTypeName = Annotated[str, BeforeValidator(canonical_case("Email", "Phone", "Opaque"))]
Direction = Annotated[str, BeforeValidator(canonical_case("Inbound", "Outbound"))]
ReceiptStatus = Annotated[
    str,
    BeforeValidator(canonical_case("Sent", "Delivered", "Read", "Failed", "Published", "Removed")),
]
EventType = Annotated[str, BeforeValidator(canonical_case("Typing"))]
TypingType = Annotated[str, BeforeValidator(canonical_case("On", "Off"))]
Platform = Annotated[Literal["Open"], BeforeValidator(canonical_case("Open"))]
ChannelType = Annotated[Literal["Private"], BeforeValidator(canonical_case("Private"))]
TextType = Annotated[Literal["Text"], BeforeValidator(canonical_case("Text"))]
EventMessageType = Annotated[Literal["Event"], BeforeValidator(canonical_case("Event"))]
StructuredType = Annotated[Literal["Structured"], BeforeValidator(canonical_case("Structured"))]
ReceiptType = Annotated[Literal["Receipt"], BeforeValidator(canonical_case("Receipt"))]


class WebhookRecipient(GenesysWebhookModel):
    """``channel.to`` (the customer id we chose) or ``channel.from`` (the integration)."""

    id: str = Field(min_length=1)
    id_type: IdTypeName | None = Field(default=None, alias="idType")
    nickname: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    image: str | None = None
    email: str | None = None


class OpenMessagingChannel(GenesysWebhookModel):
    """``channel``: ``id`` is the integration id, ``to.id`` the customer to deliver to."""

    id: str | None = None
    platform: Platform | None = None
    type: ChannelType | None = None
    message_id: str | None = Field(default=None, alias="messageId")
    to: WebhookRecipient
    from_: WebhookRecipient = Field(alias="from")
    time: GenesysTime
    metadata: dict[str, Any] | None = None


class ConversationContentAttachment(GenesysWebhookModel):
    """An agent's attachment: fetch ``url`` promptly (its lifetime is unconfirmed).

    ``mediaType`` is a plain string here, so a new Genesys media type reaches the translator
    (which can fall back to a document) instead of rejecting the agent's message.
    """

    media_type: MediaTypeName = Field(alias="mediaType")
    url: str | None = None
    mime: str | None = None
    id: str | None = None
    filename: str | None = None
    sha256: str | None = None
    text: str | None = None
    content_size_bytes: int | None = Field(default=None, alias="contentSizeBytes")


class OpenMessageContent(GenesysWebhookModel):
    """A ``content[]`` item of a Text message (``contentType`` is ``Attachment``)."""

    content_type: ContentType = Field(alias="contentType")
    attachment: ConversationContentAttachment | None = None


class OpenMessageNormalizedMessage(GenesysWebhookModel):
    """``type: Text``: an agent's text, with at most one attachment."""

    id: str = Field(min_length=1)
    channel: OpenMessagingChannel
    type: TextType
    text: str | None = None
    content: list[OpenMessageContent] | None = None
    metadata: dict[str, str] | None = None
    conversation_id: str | None = Field(default=None, alias="conversationId")
    direction: Direction | None = None

    @model_validator(mode="after")
    def _one_attachment(self) -> Self:
        attachments = [c for c in self.content or () if c.content_type == "Attachment"]
        if len(attachments) > 1:
            raise ValueError("a message holds at most one Attachment content item")
        return self


class EventTyping(GenesysWebhookModel):
    """``typing`` of an event: ``duration`` in milliseconds."""

    type: TypingType
    duration: int | None = None


class OpenMessageEvent(GenesysWebhookModel):
    """One ``events[]`` item (``Typing`` today; other kinds are kept, not rejected)."""

    event_type: EventType = Field(alias="eventType")
    typing: EventTyping | None = None


class OpenEventNormalizedMessage(GenesysWebhookModel):
    """``type: Event``: the agent is typing (when typing is enabled for the integration)."""

    id: str = Field(min_length=1)
    channel: OpenMessagingChannel
    type: EventMessageType
    events: list[OpenMessageEvent] = Field(default_factory=list)
    direction: Direction | None = None


class QuickReply(GenesysWebhookModel):
    """``quickReply``: a button the bot offers; ``payload`` comes back in the answer."""

    text: str
    payload: str | None = None
    image: str | None = None
    action: str | None = None


class StructuredContent(GenesysWebhookModel):
    """A ``content[]`` item of a Structured message (``QuickReply``, ``Attachment``...)."""

    content_type: ContentType = Field(alias="contentType")
    quick_reply: QuickReply | None = Field(default=None, alias="quickReply")
    attachment: ConversationContentAttachment | None = None


class OpenStructuredNormalizedMessage(GenesysWebhookModel):
    """``type: Structured``: text with quick replies or buttons (format unconfirmed)."""

    id: str = Field(min_length=1)
    channel: OpenMessagingChannel
    type: StructuredType
    text: str | None = None
    content: list[StructuredContent] = Field(default_factory=list)
    metadata: dict[str, str] | None = None
    direction: Direction | None = None


class WebhookReason(GenesysWebhookModel):
    """``reasons[]`` of a webhook receipt."""

    code: str | None = None
    message: str | None = None


class OpenReceiptNormalizedMessage(GenesysWebhookModel):
    """``type: Receipt``: accepted and ignored (the ionic blueprint skips them too)."""

    id: str = Field(min_length=1)
    channel: OpenMessagingChannel
    type: ReceiptType
    status: ReceiptStatus
    reasons: list[WebhookReason] | None = None
    is_final_receipt: bool | None = Field(default=None, alias="isFinalReceipt")
    direction: Direction | None = None


class OpenUnknownNormalizedMessage(GenesysWebhookModel):
    """Any other ``type``: everything kept raw, for the log line and a later translator."""

    type: str
    id: str | None = None


_WEBHOOK_MODELS: Final[Mapping[str, type[GenesysWebhookModel]]] = {
    "Text": OpenMessageNormalizedMessage,
    "Event": OpenEventNormalizedMessage,
    "Structured": OpenStructuredNormalizedMessage,
    "Receipt": OpenReceiptNormalizedMessage,
}


def _route_webhook(value: Any, _handler: Any) -> GenesysWebhookModel:
    return route_by_tag(
        value,
        tag="type",
        models=_WEBHOOK_MODELS,
        fallback=OpenUnknownNormalizedMessage,
        fold_case=True,
    )


KnownOutboundMessage = (
    OpenMessageNormalizedMessage
    | OpenEventNormalizedMessage
    | OpenStructuredNormalizedMessage
    | OpenReceiptNormalizedMessage
)
"""The webhook bodies wagen understands (each has ``id`` and ``channel``)."""

OutboundWebhook = Annotated[
    KnownOutboundMessage | OpenUnknownNormalizedMessage, WrapValidator(_route_webhook)
]
"""One outbound webhook body, routed by ``type``."""

OUTBOUND_WEBHOOK: Final[TypeAdapter[KnownOutboundMessage | OpenUnknownNormalizedMessage]] = (
    TypeAdapter(OutboundWebhook)
)
"""Parses a webhook body: ``OUTBOUND_WEBHOOK.validate_json(raw)`` or ``.validate_python``."""
