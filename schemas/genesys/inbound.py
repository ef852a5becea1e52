"""The Open Messaging bodies we POST to Genesys (customer -> agent).

Endpoints, all under ``/api/v2/conversations/messages/{integrationId}/inbound/open/``:
``message`` (:class:`OpenInboundNormalizedMessage`), ``receipt``
(:class:`OpenInboundNormalizedReceipt`), ``event`` (:class:`OpenInboundNormalizedEvent`) and
``structured/response`` (:class:`OpenInboundStructuredResponseMessage`).
Docs: https://developer.genesys.cloud/commdigital/digital/openmessaging/ and the SDK models of
the same names; reference ``genesys-open-messaging.md`` sections 2, 3 and 5.

These bodies must not carry ``id``, ``type``, ``direction``, ``channel.platform``,
``channel.type`` or ``channel.to`` (that is the deprecated ``/inbound/open`` endpoint's
shape); ``extra="forbid"`` keeps them out. Fields marked *overlay* are seen on the wire but
missing from Genesys's typed models: leave them ``None`` to match the strict schemas.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from schemas.genesys._base import (
    GenesysBody,
    GenesysTime,
    IdType,
    MediaType,
    ReasonCode,
    canonical_case,
)


class OpenMessagingFromRecipient(GenesysBody):
    """``channel.from``: the customer. Keep one stable ``id`` format (e.g. ``+`` + wa_id):
    Genesys threads a conversation per sender id.
    """

    id: str = Field(min_length=1)
    id_type: IdType = Field(alias="idType")
    nickname: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    image: str | None = None
    email: str | None = None


class OpenMessagingToRecipient(GenesysBody):
    """``channel.to`` of a receipt: the customer the agent's message went to."""

    id: str = Field(min_length=1)
    id_type: IdType | None = Field(default=None, alias="idType")
    nickname: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    image: str | None = None
    email: str | None = None


class ConversationChannelMetadata(GenesysBody):
    """``channel.metadata``: ``subType``; ``customAttributes`` is an *overlay* (unconfirmed)."""

    sub_type: Literal["None", "GoogleBusinessProfile", "RoadsideAssistance", "YouTube"] | None = (
        Field(default=None, alias="subType")
    )
    custom_attributes: dict[str, str] | None = Field(default=None, alias="customAttributes")


class OpenInboundMessageMessagingChannel(GenesysBody):
    """``channel`` of a message or structured response: put the wamid in ``messageId``."""

    from_: OpenMessagingFromRecipient = Field(alias="from")
    time: GenesysTime
    message_id: str | None = Field(default=None, min_length=1, alias="messageId")
    metadata: ConversationChannelMetadata | None = None


class OpenContentThumbnail(GenesysBody):
    """``attachment.thumbnail`` (Python SDK 269 only; not always available)."""

    url: str | None = None
    mime: str | None = None
    sha256: str | None = None
    content_size_bytes: int | None = Field(default=None, ge=0, alias="contentSizeBytes")


class OpenContentAttachment(GenesysBody):
    """An attachment Genesys fetches from ``url`` (https, at most 25 MB)."""

    media_type: MediaType = Field(alias="mediaType")
    url: str = Field(min_length=1)
    mime: str = Field(min_length=1)
    id: str | None = None
    filename: str | None = None
    sha256: str | None = None
    text: str | None = None
    thumbnail: OpenContentThumbnail | None = None


class OpenInboundMessageContent(GenesysBody):
    """A ``content[]`` item: a single ``attachment`` key (no ``contentType`` here)."""

    attachment: OpenContentAttachment


class OpenInboundNormalizedMessage(GenesysBody):
    """Body of ``POST .../inbound/open/message``: text and/or attachments from the customer.

    ``metadata`` is a flat string map (a nested object is a 400).
    """

    channel: OpenInboundMessageMessagingChannel
    text: str | None = None
    content: list[OpenInboundMessageContent] | None = None
    metadata: dict[str, str] | None = None

    @model_validator(mode="after")
    def _has_something(self) -> Self:
        if not (self.text and self.text.strip()) and not self.content:
            raise ValueError("a message needs text or content")
        return self


TypingType = Annotated[Literal["On"], BeforeValidator(canonical_case("On"))]


class ConversationEventTyping(GenesysBody):
    """``typing``: ``duration`` in milliseconds."""

    type: TypingType
    duration: int | None = Field(default=None, ge=0, le=2**31 - 1)


class OpenEvent(GenesysBody):
    """One ``events[]`` item; ``typing`` is an *overlay* (the strict model has only the type)."""

    event_type: Annotated[Literal["Typing"], BeforeValidator(canonical_case("Typing"))] = Field(
        alias="eventType"
    )
    typing: ConversationEventTyping | None = None


class OpenInboundMessagingChannel(GenesysBody):
    """``channel`` of an event: who and when, nothing else."""

    from_: OpenMessagingFromRecipient = Field(alias="from")
    time: GenesysTime


class OpenInboundNormalizedEvent(GenesysBody):
    """Body of ``POST .../inbound/open/event`` (customer typing; disabled by default)."""

    channel: OpenInboundMessagingChannel
    events: list[OpenEvent] = Field(min_length=1)


class ConversationReason(GenesysBody):
    """Why a message failed: one of the 13 codes, and a message for the API's ``errorInfo``."""

    code: ReasonCode
    message: str = Field(min_length=1)


class OpenInboundMessagingReceiptChannel(GenesysBody):
    """``channel`` of a receipt: the customer and when the status happened."""

    to: OpenMessagingToRecipient
    time: GenesysTime


class OpenInboundNormalizedReceipt(GenesysBody):
    """Body of ``POST .../inbound/open/receipt``: Delivered or Failed, nothing else.

    ``id`` is the Genesys message id of the agent's message (the webhook body's ``id``),
    not the wamid. A Failed receipt carries at least one reason; a Delivered one none.
    """

    id: str = Field(min_length=1)
    channel: OpenInboundMessagingReceiptChannel
    status: Annotated[
        Literal["Delivered", "Failed"], BeforeValidator(canonical_case("Delivered", "Failed"))
    ]
    reasons: list[ConversationReason] | None = None
    is_final_receipt: bool | None = Field(default=None, alias="isFinalReceipt")

    @model_validator(mode="after")
    def _reasons_only_when_failed(self) -> Self:
        if self.status == "Failed" and not self.reasons:
            raise ValueError("a Failed receipt needs at least one reason")
        if self.status == "Delivered" and self.reasons:
            raise ValueError("reasons are only used with status Failed")
        return self


class ContentButtonResponse(GenesysBody):
    """``buttonResponse``: the button the customer tapped (``payload`` is Genesys's)."""

    type: Annotated[
        Literal["Button", "QuickReply", "DatePicker"],
        BeforeValidator(canonical_case("Button", "QuickReply", "DatePicker")),
    ]
    text: str = Field(min_length=1)
    payload: str


class OpenInboundStructuredResponseMessage(GenesysBody):
    """Body of ``POST .../inbound/open/structured/response``.

    Only inside an existing conversation; ``originatingMessageId`` is the Genesys id of the
    structured message being answered.
    """

    channel: OpenInboundMessageMessagingChannel
    button_response: ContentButtonResponse = Field(alias="buttonResponse")
    originating_message_id: str = Field(min_length=1, alias="originatingMessageId")
