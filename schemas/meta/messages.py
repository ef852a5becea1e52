"""Inbound WhatsApp messages (``value.messages[]``): one model per ``type``, plus fallbacks.

:data:`InboundMessage` routes by ``type`` and never fails a batch over one odd message:

* a ``type`` wagen does not model (``edit``, ``revoke``, future ones) parses as
  :class:`UnknownMessage`, raw fields kept;
* a *known* ``type`` whose content is missing or malformed (pywa records an ``interactive``
  without its ``interactive`` object) also parses as :class:`UnknownMessage`, with
  :attr:`UnknownMessage.problem` naming the field, so the agent still sees a placeholder;
* only a broken *base* (no ``id``, bad ``timestamp``, no ``type``) is an error, because such a
  message can be neither deduplicated nor ordered.

Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import Field, PrivateAttr, ValidationError, WrapValidator

from schemas.meta._base import MetaTimestamp, WebhookModel, unix_to_datetime
from schemas.meta.content import (
    AudioMedia,
    ButtonReplyInteractive,
    Context,
    DocumentMedia,
    Identity,
    ListReplyInteractive,
    Location,
    Media,
    NfmReplyInteractive,
    Order,
    OtherInteractive,
    QuickReplyButton,
    Reaction,
    Referral,
    SharedContact,
    StickerMedia,
    System,
    Text,
    Unsupported,
)
from schemas.meta.errors import ErrorObject
from schemas.parsing import describe_validation_error, route_by_tag

_INTERACTIVE_MODELS: Final[Mapping[str, type[WebhookModel]]] = {
    "button_reply": ButtonReplyInteractive,
    "list_reply": ListReplyInteractive,
    "nfm_reply": NfmReplyInteractive,
}


def _route_interactive(value: Any, _handler: Any) -> WebhookModel:
    return route_by_tag(value, tag="type", models=_INTERACTIVE_MODELS, fallback=OtherInteractive)


InteractiveReply = Annotated[
    ButtonReplyInteractive | ListReplyInteractive | NfmReplyInteractive | OtherInteractive,
    WrapValidator(_route_interactive),
]
"""``interactive`` of an inbound message, routed by its own ``type``."""


class MessageBase(WebhookModel):
    """Fields every inbound message has, whatever its ``type``.

    ``from`` is the customer's ``wa_id``; from 2026 it may be missing for customers with a
    username, leaving only the business-scoped ``from_user_id`` (Docs: business-scoped user
    IDs). ``errors`` can accompany any message, not only ``unsupported`` ones.
    """

    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    id: str = Field(min_length=1)
    timestamp: MetaTimestamp
    type: str = Field(min_length=1)
    context: Context | None = None
    referral: Referral | None = None
    identity: Identity | None = None
    errors: list[ErrorObject] | None = None

    @property
    def sent_at(self) -> datetime:
        """``timestamp`` as an aware UTC datetime."""
        return unix_to_datetime(self.timestamp)


class TextMessage(MessageBase):
    """``type: text``. Docs: reference/messages/text."""

    type: Literal["text"]
    text: Text


class ImageMessage(MessageBase):
    """``type: image``. Docs: reference/messages/image."""

    type: Literal["image"]
    image: Media


class VideoMessage(MessageBase):
    """``type: video``. Docs: reference/messages/video."""

    type: Literal["video"]
    video: Media


class AudioMessage(MessageBase):
    """``type: audio`` (voice notes have ``audio.voice``). Docs: reference/messages/audio."""

    type: Literal["audio"]
    audio: AudioMedia


class DocumentMessage(MessageBase):
    """``type: document``. Docs: reference/messages/document."""

    type: Literal["document"]
    document: DocumentMedia


class StickerMessage(MessageBase):
    """``type: sticker``. Docs: reference/messages/sticker."""

    type: Literal["sticker"]
    sticker: StickerMedia


class LocationMessage(MessageBase):
    """``type: location``. Docs: reference/messages/location."""

    type: Literal["location"]
    location: Location


class ContactsMessage(MessageBase):
    """``type: contacts``: one or more contact cards. Docs: reference/messages/contacts."""

    type: Literal["contacts"]
    contacts: list[SharedContact]


class InteractiveMessage(MessageBase):
    """``type: interactive``: a reply button, list row or Flow answer to what we sent."""

    type: Literal["interactive"]
    interactive: InteractiveReply


class ButtonMessage(MessageBase):
    """``type: button``: a quick-reply button of a template (not ``interactive``)."""

    type: Literal["button"]
    button: QuickReplyButton


class ReactionMessage(MessageBase):
    """``type: reaction``: to one of *our* messages; no emoji means it was removed."""

    type: Literal["reaction"]
    reaction: Reaction


class OrderMessage(MessageBase):
    """``type: order``: a catalog cart. Docs: reference/messages/order."""

    type: Literal["order"]
    order: Order


class SystemMessage(MessageBase):
    """``type: system``: e.g. the customer changed number (re-key them). Often no contacts."""

    type: Literal["system"]
    system: System


class UnsupportedMessage(MessageBase):
    """``type: unsupported``: WhatsApp itself could not render it (poll, album...).

    ``errors`` usually holds 131051; ``unsupported.type`` names the kind when Meta knows it.
    Show the agent a placeholder rather than dropping it.
    """

    type: Literal["unsupported"]
    unsupported: Unsupported | None = None


class RequestWelcomeMessage(MessageBase):
    """``type: request_welcome``: the customer opened the chat for the first time.

    No content: Meta sends it before the customer writes anything, when the number has
    welcome messages enabled (Docs: conversational components, welcome messages).
    """

    type: Literal["request_welcome"]


class UnknownMessage(MessageBase):
    """Any message wagen cannot model: an unknown ``type`` or a malformed known one.

    Every field Meta sent is kept (``model_extra``), so nothing is lost for a replay.
    """

    type: str = Field(min_length=1)
    _problem: str | None = PrivateAttr(default=None)

    @property
    def problem(self) -> str | None:
        """Why a known ``type`` fell back here (first bad field), ``None`` for unknown types."""
        return self._problem


MESSAGE_MODELS: Final[Mapping[str, type[MessageBase]]] = {
    "text": TextMessage,
    "image": ImageMessage,
    "video": VideoMessage,
    "audio": AudioMessage,
    "document": DocumentMessage,
    "sticker": StickerMessage,
    "location": LocationMessage,
    "contacts": ContactsMessage,
    "interactive": InteractiveMessage,
    "button": ButtonMessage,
    "reaction": ReactionMessage,
    "order": OrderMessage,
    "system": SystemMessage,
    "unsupported": UnsupportedMessage,
    "request_welcome": RequestWelcomeMessage,
}
"""The message types wagen models, by Meta's ``type``."""


def _route_message(value: Any, _handler: Any) -> MessageBase:
    try:
        return route_by_tag(value, tag="type", models=MESSAGE_MODELS, fallback=UnknownMessage)
    except ValidationError as exc:
        kind = value.get("type") if isinstance(value, Mapping) else None
        if not isinstance(kind, str) or kind not in MESSAGE_MODELS:
            raise
        # A known type with bad content: keep the message (base fields must still hold).
        fallback = UnknownMessage.model_validate(value)
        fallback._problem = describe_validation_error(exc)
        return fallback


InboundMessage = Annotated[
    TextMessage
    | ImageMessage
    | VideoMessage
    | AudioMessage
    | DocumentMessage
    | StickerMessage
    | LocationMessage
    | ContactsMessage
    | InteractiveMessage
    | ButtonMessage
    | ReactionMessage
    | OrderMessage
    | SystemMessage
    | UnsupportedMessage
    | RequestWelcomeMessage
    | UnknownMessage,
    WrapValidator(_route_message),
]
"""One inbound message, routed by ``type`` (see the module docstring for the fallbacks)."""
