"""The content objects inside inbound WhatsApp messages (``text``, ``image``, ``location``...).

Every object keeps unknown fields. Field names are Meta's.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from schemas.meta._base import MetaTimestamp, WebhookModel


class Text(WebhookModel):
    """``text``: the body of a text message."""

    body: str


class Media(WebhookModel):
    """``image`` / ``video`` (and the base of the other media objects).

    ``id`` is downloadable for 7 days; ``url`` is a recent, short-lived addition and may be
    missing. ``sha256`` is base64 of the SHA-256 of the file.
    Docs: reference/messages/image.
    """

    id: str = Field(min_length=1)
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    url: str | None = None


class DocumentMedia(Media):
    """``document``: a media object with the file name the customer's phone used."""

    filename: str | None = None


class AudioMedia(Media):
    """``audio``: ``voice`` is true for a recorded voice note (``audio/ogg; codecs=opus``)."""

    voice: bool | None = None


class StickerMedia(Media):
    """``sticker``: ``animated`` tells animated from static WebP stickers."""

    animated: bool | None = None


class Location(WebhookModel):
    """``location``: a shared *current* location carries only the coordinates."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class ContactName(WebhookModel):
    """``name`` of a shared contact card."""

    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    suffix: str | None = None
    prefix: str | None = None


class ContactPhone(WebhookModel):
    """A phone of a shared contact; ``wa_id`` only when the number is on WhatsApp."""

    phone: str | None = None
    wa_id: str | None = None
    type: str | None = None


class ContactEmail(WebhookModel):
    """An e-mail address of a shared contact."""

    email: str | None = None
    type: str | None = None


class ContactAddress(WebhookModel):
    """A postal address of a shared contact."""

    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = None


class ContactOrg(WebhookModel):
    """The organization of a shared contact."""

    company: str | None = None
    department: str | None = None
    title: str | None = None


class ContactUrl(WebhookModel):
    """A web address of a shared contact."""

    url: str | None = None
    type: str | None = None


class SharedContact(WebhookModel):
    """One card of a ``contacts`` message. Docs: reference/messages/contacts."""

    name: ContactName | None = None
    phones: list[ContactPhone] | None = None
    emails: list[ContactEmail] | None = None
    addresses: list[ContactAddress] | None = None
    org: ContactOrg | None = None
    urls: list[ContactUrl] | None = None
    birthday: str | None = None


class ButtonReply(WebhookModel):
    """The reply button the customer tapped (``id`` is the one we sent)."""

    id: str
    title: str


class ListReply(WebhookModel):
    """The list row the customer picked (``id`` is the one we sent)."""

    id: str
    title: str
    description: str | None = None


class NfmReply(WebhookModel):
    """A WhatsApp Flow completion: ``response_json`` is a *string* holding JSON."""

    response_json: str
    name: str | None = None
    body: str | None = None

    def response(self) -> dict[str, Any] | None:
        """``response_json`` parsed, or ``None`` when it is not a JSON object."""
        try:
            parsed = json.loads(self.response_json)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None


class ButtonReplyInteractive(WebhookModel):
    """``interactive`` of a tapped reply button."""

    type: Literal["button_reply"]
    button_reply: ButtonReply


class ListReplyInteractive(WebhookModel):
    """``interactive`` of a picked list row."""

    type: Literal["list_reply"]
    list_reply: ListReply


class NfmReplyInteractive(WebhookModel):
    """``interactive`` of a completed Flow (Docs: flows/guides/receiveflowresponse)."""

    type: Literal["nfm_reply"]
    nfm_reply: NfmReply


class OtherInteractive(WebhookModel):
    """``interactive`` of a kind wagen does not model yet (e.g. call permission replies)."""

    type: str


class QuickReplyButton(WebhookModel):
    """``button``: a quick-reply button of a *template* we sent (``payload`` is ours)."""

    text: str
    payload: str | None = None


class Reaction(WebhookModel):
    """``reaction``: an empty or missing ``emoji`` means the reaction was removed."""

    message_id: str
    emoji: str | None = None


class ProductItem(WebhookModel):
    """One line of an ``order``.

    Meta documents all four fields, but carts recorded by others lack the price and currency
    (a catalog without prices), so only the product is required: the agent sees what is there.
    """

    product_retailer_id: str
    quantity: int | None = None
    item_price: float | None = None
    currency: str | None = None


class Order(WebhookModel):
    """``order``: a cart sent from a catalog."""

    catalog_id: str
    product_items: list[ProductItem]
    text: str | None = None


class System(WebhookModel):
    """``system``: ``user_changed_number`` (the new ``wa_id``, and from 2026 the new
    ``user_id``: a new number gets a new BSUID), ``user_changed_user_id`` (the new
    ``user_id``), identity changes. The customer's old ids are the message's ``from`` /
    ``from_user_id``; ``customer`` is the old number in older versions."""

    body: str | None = None
    type: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    customer: str | None = None


class Identity(WebhookModel):
    """``identity``: the customer's security code changed (security notifications)."""

    acknowledged: bool | None = None
    created_timestamp: MetaTimestamp | None = None
    hash: str | None = None


class Unsupported(WebhookModel):
    """``unsupported``: what WhatsApp could not deliver (``poll``, ``edit``...), when known."""

    type: str | None = None


class ReferredProduct(WebhookModel):
    """The catalog product a "Message business" button referred to."""

    catalog_id: str | None = None
    product_retailer_id: str | None = None


class Context(WebhookModel):
    """``context``: the message replied to (``from``/``id``, ``id`` is *our* wamid), or forward
    flags (``frequently_forwarded`` after more than 5 hops), or a referred product.
    """

    from_: str | None = Field(default=None, alias="from")
    id: str | None = None
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None
    referred_product: ReferredProduct | None = None


class WelcomeMessage(WebhookModel):
    """The greeting of a Click-to-WhatsApp ad."""

    text: str | None = None


class Referral(WebhookModel):
    """``referral``: the customer came from a Click-to-WhatsApp ad or post.

    Plain strings, not enums: Meta's own older docs use placeholders ("ad or post").
    """

    source_url: str | None = None
    source_id: str | None = None
    source_type: str | None = None
    body: str | None = None
    headline: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None
    welcome_message: WelcomeMessage | None = None
