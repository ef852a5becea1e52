"""The WhatsApp webhook envelope: ``object`` > ``entry[]`` > ``changes[]`` > ``value``.

``field == "messages"`` is modelled in depth (:class:`MessagesChange`), and so are ``calls``,
``smb_message_echoes`` and ``user_preferences`` (:mod:`schemas.meta.side_changes`); every
other field (``account_update``, ``message_template_status_update``, group updates...)
parses as :class:`OtherChange` with its ``value`` kept raw, so one body mixing them never
fails.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
and .../webhooks/reference/messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import Field, WrapValidator

from schemas.meta._base import WebhookModel

# Re-exported: these lived here before the other change kinds needed them too.
from schemas.meta.envelope import ContactProfile as ContactProfile
from schemas.meta.envelope import Metadata as Metadata
from schemas.meta.envelope import OtherChange as OtherChange
from schemas.meta.envelope import Profile as Profile
from schemas.meta.errors import ErrorObject
from schemas.meta.messages import InboundMessage
from schemas.meta.side_changes import SIDE_CHANGE_MODELS
from schemas.meta.statuses import Status
from schemas.parsing import route_by_tag


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
    """A change with ``field == "messages"``: customer messages, statuses, errors."""

    field: Literal["messages"]
    value: MessagesValue


_CHANGE_MODELS: Final[Mapping[str, type[WebhookModel]]] = {
    "messages": MessagesChange,
    **SIDE_CHANGE_MODELS,
}


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
