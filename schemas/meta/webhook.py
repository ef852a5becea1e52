"""The WhatsApp webhook envelope: ``object`` > ``entry[]`` > ``changes[]`` > ``value``.

``field == "messages"`` is modelled in depth (:class:`MessagesChange`), and so are ``calls``,
``smb_message_echoes`` and ``user_preferences`` (:mod:`schemas.meta.side_changes`); every
other field (``account_update``, ``message_template_status_update``, group updates...)
parses as :class:`OtherChange` with its ``value`` kept raw, so one body mixing them never
fails.

A body batches items (entries, changes, and in a value its contacts, messages, statuses and
errors); each is validated on its own, and one that fails is kept as a
:class:`~schemas.parsing.Rejected` in its place, so one bad message never sinks the good
ones beside it. Only a broken envelope (not ``whatsapp_business_account``, no ``entry``
list) fails the body; :meth:`WebhookPayload.rejected` lists the items that failed.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
and .../webhooks/reference/messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import Field, TypeAdapter, WrapValidator

from schemas.json_body import MAX_DEPTH
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
from schemas.parsing import Rejected, route_by_tag, tolerant

_MESSAGE: Final[TypeAdapter[Any]] = TypeAdapter(InboundMessage)

ContactItem = Annotated[
    ContactProfile | Rejected, tolerant(ContactProfile.model_validate, max_depth=MAX_DEPTH)
]
"""A ``contacts[]`` item, or why it is not one."""
MessageItem = Annotated[
    InboundMessage | Rejected, tolerant(_MESSAGE.validate_python, max_depth=MAX_DEPTH)
]
"""A ``messages[]`` item, or why it is not one (an odd *type* is not a rejection)."""
StatusItem = Annotated[Status | Rejected, tolerant(Status.model_validate, max_depth=MAX_DEPTH)]
"""A ``statuses[]`` item, or why it is not one."""
ErrorItem = Annotated[
    ErrorObject | Rejected, tolerant(ErrorObject.model_validate, max_depth=MAX_DEPTH)
]
"""A ``value.errors[]`` item, or why it is not one."""


class MessagesValue(WebhookModel):
    """``value`` of a ``messages`` change: messages, statuses and/or platform errors.

    Meta documents one of the three per value, but pywa records ``errors`` next to
    ``messages``, so all three are optional and may coexist. ``contacts`` is usually absent
    for system messages and statuses.
    """

    messaging_product: Literal["whatsapp"]
    metadata: Metadata
    contacts: list[ContactItem] | None = None
    messages: list[MessageItem] | None = None
    statuses: list[StatusItem] | None = None
    errors: list[ErrorItem] | None = None

    def good_contacts(self) -> list[ContactProfile]:
        """The contacts that parsed."""
        return [c for c in self.contacts or () if isinstance(c, ContactProfile)]

    def rejected(self, path: str = "value") -> Iterator[tuple[str, Rejected]]:
        """The items of this value that failed, with their paths below ``path``."""
        lists: dict[str, Sequence[object] | None] = {
            "contacts": self.contacts,
            "messages": self.messages,
            "statuses": self.statuses,
            "errors": self.errors,
        }
        for name, items in lists.items():
            for k, item in enumerate(items or ()):
                if isinstance(item, Rejected):
                    yield f"{path}.{name}[{k}]", item


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

ChangeItem = Annotated[
    MessagesChange | OtherChange | Rejected, tolerant(lambda v: _route_change(v, None))
]
"""A change, or why it is not one (a bad ``messages`` value rejects its change)."""


class Entry(WebhookModel):
    """``entry[]``: ``id`` is the WhatsApp Business Account (WABA) id."""

    id: str = Field(min_length=1)
    changes: list[ChangeItem]


EntryItem = Annotated[Entry | Rejected, tolerant(Entry.model_validate)]
"""An entry, or why it is not one."""


class WebhookPayload(WebhookModel):
    """A whole webhook POST body. It may batch many entries, changes and updates."""

    object: Literal["whatsapp_business_account"]
    entry: list[EntryItem]

    def rejected(self) -> list[tuple[str, Rejected]]:
        """Every item that failed, with its JSON path (``entry[0].changes[1]``...)."""
        return list(_rejected(self))


def _rejected(payload: WebhookPayload) -> Iterator[tuple[str, Rejected]]:
    for i, entry in enumerate(payload.entry):
        if isinstance(entry, Rejected):
            yield f"entry[{i}]", entry
            continue
        for j, change in enumerate(entry.changes):
            place = f"entry[{i}].changes[{j}]"
            if isinstance(change, Rejected):
                yield place, change
            elif isinstance(change, MessagesChange):
                yield from change.value.rejected(f"{place}.value")
