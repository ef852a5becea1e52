"""The WhatsApp webhook envelope: ``object`` > ``entry[]`` > ``changes[]`` > ``value``.

Only ``field == "messages"`` is modelled in depth (:class:`MessagesChange`); every other
field (``account_update``, ``message_template_status_update``, group updates...) parses as
:class:`OtherChange` with its ``value`` kept raw, so one body mixing both never fails.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
and .../webhooks/reference/messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import Field, WrapValidator

from schemas.meta._base import WebhookModel
from schemas.meta.errors import ErrorObject
from schemas.meta.messages import InboundMessage
from schemas.meta.statuses import Status
from schemas.parsing import route_by_tag


class Metadata(WebhookModel):
    """``value.metadata``: the business number; route and send by ``phone_number_id``."""

    display_phone_number: str
    phone_number_id: str = Field(min_length=1)


class Profile(WebhookModel):
    """``contacts[].profile``: the customer's WhatsApp display name (and 2026 username)."""

    name: str | None = None
    username: str | None = None


class ContactProfile(WebhookModel):
    """``value.contacts[]``: who sent the messages of this value.

    ``user_id`` is the business-scoped user id (BSUID) Meta adds from 2026; ``wa_id`` may then
    be missing for customers who adopted a username.
    """

    profile: Profile | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None


class MessagesValue(WebhookModel):
    """``value`` of a ``messages`` change: messages, statuses and/or platform errors.

    Meta documents one of the three per value, but pywa records ``errors`` next to
    ``messages``, so all three are optional and may coexist. ``contacts`` is usually absent
    for system messages and statuses.
    """

    messaging_product: Literal["whatsapp"]
    metadata: Metadata
    contacts: list[ContactProfile] | None = None
    messages: list[InboundMessage] | None = None
    statuses: list[Status] | None = None
    errors: list[ErrorObject] | None = None


class MessagesChange(WebhookModel):
    """A change with ``field == "messages"``: the only one wagen forwards."""

    field: Literal["messages"]
    value: MessagesValue


class OtherChange(WebhookModel):
    """A change of any other ``field``; wagen ignores it (the raw ``value`` is kept)."""

    field: str
    value: Any = None


_CHANGE_MODELS: Final[Mapping[str, type[WebhookModel]]] = {"messages": MessagesChange}


def _route_change(value: Any, _handler: Any) -> WebhookModel:
    return route_by_tag(value, tag="field", models=_CHANGE_MODELS, fallback=OtherChange)


Change = Annotated[MessagesChange | OtherChange, WrapValidator(_route_change)]
"""One ``entry[].changes[]`` item, routed by ``field``."""


class Entry(WebhookModel):
    """``entry[]``: ``id`` is the WhatsApp Business Account (WABA) id."""

    id: str = Field(min_length=1)
    changes: list[Change]


class WebhookPayload(WebhookModel):
    """A whole webhook POST body. It may batch many entries, changes and updates."""

    object: Literal["whatsapp_business_account"]
    entry: list[Entry]
