"""Split one Meta webhook body into wagen events: one per message, status and error.

Pure: no I/O, no clock (the caller passes ``received_at``). The ``wa.webhooks`` agent calls
:func:`split_body` on the stored raw body, produces each event to ``wa.events`` under
``event.key`` and dead-letters each rejected item alone; ``wagen parse meta`` prints the same.

What becomes an event (Docs: webhooks overview, "batches"; reference ``meta-whatsapp.md``
section 1.2 and 2): every ``entry[]`` x ``changes[]`` whose ``field`` is ``messages`` yields
one :class:`~schemas.events.MessageReceived` per ``value.messages[]`` item, one
:class:`~schemas.events.StatusReceived` per ``value.statuses[]`` item and one
:class:`~schemas.events.WebhookErrorReceived` per ``value.errors[]`` item, in that order.
``calls``, ``smb_message_echoes`` and ``user_preferences`` changes yield their own events
(:mod:`connectors.meta.side_events`); a bad item of one of those rejects its change. Changes
of any other ``field`` (``account_update``, template status, group updates...) yield
nothing: wagen does not forward them, and the parsed payload (:func:`parse_webhook`) still
shows them to a caller that wants to log them. A ``request_welcome`` message (the customer
opened the chat, nothing written yet) is :attr:`WebhookSplit.ignored`, with the reason.

What is rejected, item by item (:attr:`WebhookSplit.rejected`), while its siblings go on:
an entry, change, contact, message, status or error that its model refuses (no ``id``, a
bad ``timestamp``...), and a message or status that names no customer at all (no ``wa_id``
and no ``user_id`` anywhere), since it could be neither routed nor answered. Each comes with
a body of its own: the item in its envelope, for the DLQ and a later replay. Only a broken
envelope fails the whole body (:class:`~connectors.meta.payload.MetaPayloadError`). An
unknown or malformed message *type* is not a rejection (see :mod:`schemas.meta.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.meta.events import ItemRefusedError, error_event, message_event, status_event
from connectors.meta.payload import MetaPayloadError, read_webhook
from connectors.meta.side_events import side_change_events
from schemas.events import WhatsAppEvent
from schemas.meta.errors import ErrorObject
from schemas.meta.messages import InboundMessage, RequestWelcomeMessage
from schemas.meta.statuses import Status
from schemas.meta.webhook import (
    ContactProfile,
    Entry,
    MessagesChange,
    OtherChange,
    WebhookPayload,
)
from schemas.parsing import Rejected

_ITEM_LISTS = ("contacts", "messages", "statuses", "errors")


@dataclass(frozen=True)
class RejectedItem:
    """One item of a body that cannot become an event.

    Attributes:
        path: where the item is in the body (``entry[0].changes[0].value.messages[1]``).
        field: the JSON path of the offending field in the body.
        reason: what is wrong with it.
        body: a webhook body holding only this item in its envelope (entry id, change field,
            value metadata and contacts): what the DLQ keeps, and what a replay re-splits.
    """

    path: str
    field: str
    reason: str
    body: dict[str, Any]

    def error(self, tenant_id: str | None = None) -> MetaPayloadError:
        """The item's failure as the error a strict caller raises."""
        return MetaPayloadError(self.field, self.reason, tenant_id=tenant_id)


@dataclass(frozen=True)
class IgnoredItem:
    """An item that is valid but carries nothing to forward, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class WebhookSplit:
    """What one body became: events to forward, items rejected or ignored, repairs made.

    ``repaired`` lists the JSON paths where lone UTF-16 surrogates or NULs were replaced by
    U+FFFD.
    """

    events: list[WhatsAppEvent] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)
    ignored: list[IgnoredItem] = field(default_factory=list)
    repaired: tuple[str, ...] = ()


def split_body(
    raw: bytes | str | Mapping[str, Any], tenant_id: str, received_at: datetime
) -> WebhookSplit:
    """Parse a webhook body and split it item by item (see the module docstring).

    Args:
        raw: the body exactly as stored (bytes or text), or already-decoded JSON.
        tenant_id: the tenant the body was received for.
        received_at: when the gateway received it (timezone-aware).

    Raises:
        MetaPayloadError: the envelope is malformed; ``field`` names the offending field.
        ValueError: ``received_at`` is naive (a caller bug, not a payload problem).
    """
    parsed = read_webhook(raw, tenant_id=tenant_id)
    split = split_payload(parsed.payload, tenant_id, received_at)
    return WebhookSplit(split.events, split.rejected, split.ignored, parsed.repaired)


def split_webhook(
    raw: bytes | str | Mapping[str, Any], tenant_id: str, received_at: datetime
) -> list[WhatsAppEvent]:
    """The events of a body that must be valid throughout (tests, tools, the bench).

    Raises:
        MetaPayloadError: the envelope or any item is malformed (the first one is named).
        ValueError: ``received_at`` is naive.
    """
    split = split_body(raw, tenant_id, received_at)
    if split.rejected:
        raise split.rejected[0].error(tenant_id)
    return split.events


def split_payload(payload: WebhookPayload, tenant_id: str, received_at: datetime) -> WebhookSplit:
    """The split of an already-parsed body (see :func:`split_body`)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    splitter = _Splitter(payload, tenant_id, received_at)
    for i, entry in enumerate(payload.entry):
        splitter.entry(entry, f"entry[{i}]")
    return splitter.result


class _Splitter:
    """Walks one body, collecting its events and the items it rejects or ignores."""

    def __init__(self, payload: WebhookPayload, tenant_id: str, received_at: datetime) -> None:
        self._object = payload.object
        self._tenant = tenant_id
        self._received_at = received_at
        self.result = WebhookSplit()

    def _reject(self, path: str, item: Rejected, body: dict[str, Any]) -> None:
        self.result.rejected.append(RejectedItem(path, item.where(path), item.reason, body))

    def _body(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A body around one entry (as a replay must see it)."""
        return {"object": self._object, "entry": [entry]}

    def entry(self, entry: Entry | Rejected, where: str) -> None:
        """One ``entry[]`` item: each of its changes, on its own."""
        if isinstance(entry, Rejected):
            self._reject(where, entry, {"object": self._object, "entry": [entry.raw]})
            return
        envelope = entry.model_dump(mode="json", exclude={"changes"}, exclude_unset=True)
        for j, change in enumerate(entry.changes):
            place = f"{where}.changes[{j}]"
            if isinstance(change, Rejected):
                self._reject(place, change, self._body({**envelope, "changes": [change.raw]}))
            elif isinstance(change, MessagesChange):
                self._messages_value(change, envelope, f"{place}.value")
            elif isinstance(change, OtherChange):
                self._side_change(change, envelope, place)

    def _side_change(self, change: OtherChange, entry: dict[str, Any], where: str) -> None:
        """A calls / echoes / preferences change (any other field yields nothing)."""
        try:
            events = side_change_events(change, entry["id"], self._tenant, self._received_at, where)
        except MetaPayloadError as exc:
            raw = change.model_dump(mode="json", exclude_unset=True)
            body = self._body({**entry, "changes": [raw]})
            self.result.rejected.append(RejectedItem(where, exc.field, exc.reason, body))
            return
        self.result.events.extend(events)

    def _messages_value(self, change: MessagesChange, entry: dict[str, Any], where: str) -> None:
        value = change.value
        contacts = value.good_contacts()
        common: dict[str, Any] = {
            "tenant_id": self._tenant,
            "received_at": self._received_at,
            "waba_id": entry["id"],
            "phone_number_id": value.metadata.phone_number_id,
            "display_phone_number": value.metadata.display_phone_number,
        }

        def alone(name: str, raw: Any) -> dict[str, Any]:
            """A body holding only ``raw``, as the one ``name`` item of this value."""
            kept = value.model_dump(mode="json", exclude=set(_ITEM_LISTS), exclude_unset=True)
            if name != "contacts" and contacts:
                kept["contacts"] = [c.model_dump(mode="json", exclude_unset=True) for c in contacts]
            kept[name] = [raw]
            return self._body({**entry, "changes": [{"field": change.field, "value": kept}]})

        lists: dict[str, Sequence[Any]] = {name: getattr(value, name) or () for name in _ITEM_LISTS}
        for name, items in lists.items():
            for k, item in enumerate(items):
                path = f"{where}.{name}[{k}]"
                if isinstance(item, Rejected):
                    self._reject(path, item, alone(name, item.raw))
                    continue
                try:
                    event = self._event(item, contacts, common, path)
                except ItemRefusedError as refused:
                    raw = item.model_dump(mode="json", exclude_unset=True)
                    self._reject(path, refused.item(raw), alone(name, raw))
                    continue
                if isinstance(event, IgnoredItem):
                    self.result.ignored.append(event)
                elif event is not None:
                    self.result.events.append(event)

    def _event(
        self,
        item: ContactProfile | InboundMessage | Status | ErrorObject,
        contacts: Sequence[ContactProfile],
        common: dict[str, Any],
        path: str,
    ) -> WhatsAppEvent | IgnoredItem | None:
        if isinstance(item, ContactProfile):
            return None  # contacts name the senders of the messages; they are no event
        if isinstance(item, Status):
            return status_event(item, contacts, common)
        if isinstance(item, ErrorObject):
            return error_event(item, common)
        if isinstance(item, RequestWelcomeMessage):
            return IgnoredItem(path, "request_welcome: the customer opened the chat, no content")
        return message_event(item, contacts, common)
