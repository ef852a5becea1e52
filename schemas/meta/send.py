"""Bodies of ``POST /{phone-number-id}/messages``: every message we send, and mark-as-read.

Build with the models, send ``model_dump(mode="json", exclude_none=True)``. Parse a body of
unknown kind with :data:`SendBody` (``SEND_BODY.validate_python``): a ``status: read`` body is a
:class:`MarkRead`, anything else is routed by ``type``.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/
(reference ``meta-whatsapp.md`` section 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import Field, TypeAdapter, WrapValidator

from schemas.meta._base import SendModel, WebhookModel
from schemas.meta.interactive import SendInteractive
from schemas.meta.send_common import CaptionedMedia, DocumentRef, MediaRef, SendBase
from schemas.meta.template import SendTemplate
from schemas.parsing import route_by_tag

TEXT_MAX: Final = 4096
"""Longest text body Meta accepts."""


class TextContent(SendModel):
    """``text``: ``preview_url`` renders a preview of the first link."""

    body: str = Field(min_length=1, max_length=TEXT_MAX, pattern=r"\S")
    preview_url: bool | None = None


class SendText(SendBase):
    """A text message."""

    type: Literal["text"]
    text: TextContent


class SendImage(SendBase):
    """An image (JPEG/PNG, 5 MB) by id or link, with an optional caption."""

    type: Literal["image"]
    image: CaptionedMedia


class SendVideo(SendBase):
    """A video (MP4/3GPP, 16 MB) by id or link, with an optional caption."""

    type: Literal["video"]
    video: CaptionedMedia


class SendAudio(SendBase):
    """An audio file or voice note (16 MB) by id or link; audio takes no caption."""

    type: Literal["audio"]
    audio: MediaRef


class SendDocument(SendBase):
    """A document (100 MB) by id or link, with optional caption and filename."""

    type: Literal["document"]
    document: DocumentRef


class SendSticker(SendBase):
    """A WebP sticker by id or link; stickers take no caption."""

    type: Literal["sticker"]
    sticker: MediaRef


class LocationContent(SendModel):
    """``location``: numbers (Meta also accepts numeric strings; we emit numbers)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None


class SendLocation(SendBase):
    """A location pin."""

    type: Literal["location"]
    location: LocationContent


class CardName(SendModel):
    """``name`` of a contact card: ``formatted_name`` is required."""

    formatted_name: str = Field(min_length=1)
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    suffix: str | None = None
    prefix: str | None = None


class CardPhone(SendModel):
    """A phone of a contact card (``wa_id`` adds a "Message" button)."""

    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


class CardEmail(SendModel):
    """An e-mail address of a contact card."""

    email: str | None = None
    type: str | None = None


class CardAddress(SendModel):
    """A postal address of a contact card."""

    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = None


class CardOrg(SendModel):
    """The organization of a contact card."""

    company: str | None = None
    department: str | None = None
    title: str | None = None


class CardUrl(SendModel):
    """A web address of a contact card."""

    url: str | None = None
    type: str | None = None


class ContactCard(SendModel):
    """One contact card."""

    name: CardName
    phones: list[CardPhone] | None = None
    emails: list[CardEmail] | None = None
    addresses: list[CardAddress] | None = None
    org: CardOrg | None = None
    urls: list[CardUrl] | None = None
    birthday: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class SendContacts(SendBase):
    """One to five contact cards."""

    type: Literal["contacts"]
    contacts: list[ContactCard] = Field(min_length=1, max_length=5)


class ReactionContent(SendModel):
    """``reaction``: on a customer message at most 30 days old; ``""`` removes ours."""

    message_id: str = Field(min_length=1)
    emoji: str


class SendReaction(SendBase):
    """A reaction (it only ever gets a ``sent`` status)."""

    type: Literal["reaction"]
    reaction: ReactionContent


class TypingIndicator(SendModel):
    """``typing_indicator``: shown until we reply or for up to 25 s."""

    type: Literal["text"]


class MarkRead(SendModel):
    """Mark a customer message (and the earlier ones) as read, optionally showing typing.

    Neither extends the 24-hour window. No ``to``, no ``type``.
    """

    messaging_product: Literal["whatsapp"]
    status: Literal["read"]
    message_id: str = Field(min_length=1)
    typing_indicator: TypingIndicator | None = None


SEND_MODELS: Final[Mapping[str, type[SendModel]]] = {
    "text": SendText,
    "image": SendImage,
    "video": SendVideo,
    "audio": SendAudio,
    "document": SendDocument,
    "sticker": SendSticker,
    "location": SendLocation,
    "contacts": SendContacts,
    "interactive": SendInteractive,
    "template": SendTemplate,
    "reaction": SendReaction,
}
"""The message kinds wagen sends, by ``type``."""


def _route_send(value: Any, _handler: Any) -> SendModel:
    if isinstance(value, Mapping) and value.get("status") == "read":
        return route_by_tag(value, tag="status", models={"read": MarkRead})
    return route_by_tag(value, tag="type", models=SEND_MODELS)


SendMessage = (
    SendText
    | SendImage
    | SendVideo
    | SendAudio
    | SendDocument
    | SendSticker
    | SendLocation
    | SendContacts
    | SendInteractive
    | SendTemplate
    | SendReaction
)
"""Any message body (everything but :class:`MarkRead`)."""

SendBody = Annotated[SendMessage | MarkRead, WrapValidator(_route_send)]
"""Any body of ``POST /{phone-number-id}/messages``."""

SEND_BODY: Final[TypeAdapter[SendMessage | MarkRead]] = TypeAdapter(SendBody)
"""Validates a body of unknown kind: ``SEND_BODY.validate_python(data)``."""


class SentContact(WebhookModel):
    """``contacts[]`` of a send response: the ``input`` we sent and its ``wa_id``."""

    input: str | None = None
    wa_id: str | None = None


class SentMessage(WebhookModel):
    """``messages[]`` of a send response; ``message_status`` only for paced templates."""

    id: str
    message_status: str | None = None


class SendResponse(WebhookModel):
    """HTTP 200 of a send: it only means *accepted*; statuses follow by webhook."""

    messaging_product: str | None = None
    contacts: list[SentContact] | None = None
    messages: list[SentMessage] = Field(min_length=1)


class SuccessResponse(WebhookModel):
    """``{"success": true}``: the answer to mark-as-read, typing and media deletion."""

    success: bool
