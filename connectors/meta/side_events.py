"""Split the change kinds beside ``messages`` into wagen events: calls, echoes, preferences.

Pure, like :mod:`connectors.meta.webhook`, which calls :func:`side_change_events` for every
change that is not a ``messages`` one. One event per item:

* ``calls``: one :class:`~schemas.events.CallReceived` per ``value.calls[]`` item (a call
  ringing, a call ended); the ``statuses[]`` of business-initiated calls yield nothing (wagen
  places no calls), ``errors[]`` become :class:`~schemas.events.WebhookErrorReceived` as in a
  ``messages`` change;
* ``smb_message_echoes``: one :class:`~schemas.events.EchoReceived` per echo;
* ``user_preferences``: one :class:`~schemas.events.PreferenceChanged` per item;
* any other field: nothing.

An item that names no customer at all is a :class:`~connectors.meta.payload.MetaPayloadError`
naming the field, as a message without a sender is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.meta.payload import MetaPayloadError
from schemas.events import (
    CallReceived,
    EchoReceived,
    PreferenceChanged,
    WebhookErrorReceived,
    WhatsAppEvent,
    derive_event_id,
)
from schemas.meta.calls import CallsChange
from schemas.meta.echoes import EchoesChange, echo_recipient
from schemas.meta.envelope import ContactProfile, Metadata, OtherChange
from schemas.meta.errors import ErrorObject
from schemas.meta.preferences import UserPreferencesChange


def side_change_events(
    change: OtherChange, waba_id: str, tenant_id: str, received_at: datetime, where: str
) -> list[WhatsAppEvent]:
    """The events of one non-``messages`` change (``where``: its path, for errors)."""
    if isinstance(change, CallsChange):
        return _call_events(change, waba_id, tenant_id, received_at, where)
    if isinstance(change, EchoesChange):
        return _echo_events(change, waba_id, tenant_id, received_at, where)
    if isinstance(change, UserPreferencesChange):
        return _preference_events(change, waba_id, tenant_id, received_at, where)
    return []


def _common(
    metadata: Metadata, waba_id: str, tenant_id: str, received_at: datetime
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "received_at": received_at,
        "waba_id": waba_id,
        "phone_number_id": metadata.phone_number_id,
        "display_phone_number": metadata.display_phone_number,
    }


def _contact(
    contacts: Sequence[ContactProfile], wa_id: str | None, user_id: str | None
) -> ContactProfile | None:
    """The value's contact of this customer; its only one when the item names nobody."""
    for contact in contacts:
        if (wa_id and contact.wa_id == wa_id) or (user_id and contact.user_id == user_id):
            return contact
    return contacts[0] if len(contacts) == 1 and not (wa_id or user_id) else None


def _customer(wa_id: str | None, user_id: str | None, contact: ContactProfile | None) -> str | None:
    """The same rule as for messages: the ``wa_id`` when there is one, else the user id."""
    return (
        wa_id
        or (contact.wa_id if contact else None)
        or user_id
        or (contact.user_id if contact else None)
    )


def _name(contact: ContactProfile | None) -> str | None:
    return contact.profile.name if contact and contact.profile else None


def _unknown_customer(path: str, tenant_id: str) -> MetaPayloadError:
    return MetaPayloadError(
        path, "names no customer (no number, user id or contact)", tenant_id=tenant_id
    )


def _call_events(
    change: CallsChange, waba_id: str, tenant_id: str, received_at: datetime, where: str
) -> list[WhatsAppEvent]:
    value = change.value
    common = _common(value.metadata, waba_id, tenant_id, received_at)
    contacts = value.contacts or []
    events: list[WhatsAppEvent] = []
    for k, call in enumerate(value.calls or []):
        wa_id, user_id = call.customer_ids()
        contact = _contact(contacts, wa_id, user_id)
        customer = _customer(wa_id, user_id, contact)
        if not customer:
            raise _unknown_customer(f"{where}.value.calls[{k}].from", tenant_id)
        events.append(
            CallReceived(
                **common,
                event_id=derive_event_id(tenant_id, "call", call.id, call.event),
                message_id=call.id,
                customer=customer,
                type=call.event,
                timestamp=call.sent_at,
                contact_name=_name(contact),
                payload=call,
            )
        )
    events.extend(_errors(value.errors, common, value.metadata.phone_number_id, received_at))
    return events


def _errors(
    errors: list[ErrorObject] | None,
    common: dict[str, Any],
    phone_number_id: str,
    received_at: datetime,
) -> list[WhatsAppEvent]:
    found: list[WhatsAppEvent] = []
    for error in errors or []:
        canonical = json.dumps(error.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        found.append(
            WebhookErrorReceived(
                **common,
                event_id=derive_event_id(common["tenant_id"], "error", phone_number_id, canonical),
                type=str(error.code),
                timestamp=received_at,
                payload=error,
            )
        )
    return found


def _echo_events(
    change: EchoesChange, waba_id: str, tenant_id: str, received_at: datetime, where: str
) -> list[WhatsAppEvent]:
    value = change.value
    common = _common(value.metadata, waba_id, tenant_id, received_at)
    contacts = value.contacts or []
    events: list[WhatsAppEvent] = []
    for k, echo in enumerate(value.message_echoes or []):
        wa_id, user_id = echo_recipient(echo, value.metadata.display_phone_number)
        contact = _contact(contacts, wa_id, user_id)
        customer = _customer(wa_id, user_id, contact)
        if not customer:
            raise _unknown_customer(f"{where}.value.message_echoes[{k}].to", tenant_id)
        events.append(
            EchoReceived(
                **common,
                event_id=derive_event_id(tenant_id, "echo", echo.id),
                message_id=echo.id,
                customer=customer,
                type=echo.type,
                timestamp=echo.sent_at,
                contact_name=_name(contact),
                contact=contact,
                payload=echo,
            )
        )
    return events


def _preference_events(
    change: UserPreferencesChange,
    waba_id: str,
    tenant_id: str,
    received_at: datetime,
    where: str,
) -> list[WhatsAppEvent]:
    value = change.value
    common = _common(value.metadata, waba_id, tenant_id, received_at)
    contacts = value.contacts or []
    events: list[WhatsAppEvent] = []
    for k, preference in enumerate(value.user_preferences or []):
        contact = _contact(contacts, preference.wa_id, preference.user_id)
        customer = _customer(preference.wa_id, preference.user_id, contact)
        if not customer:
            raise _unknown_customer(f"{where}.value.user_preferences[{k}].wa_id", tenant_id)
        event_id = derive_event_id(
            tenant_id,
            "preference",
            customer,
            preference.category,
            preference.value,
            preference.timestamp,
        )
        events.append(
            PreferenceChanged(
                **common,
                event_id=event_id,
                customer=customer,
                type=preference.value,
                timestamp=preference.sent_at,
                payload=preference,
            )
        )
    return events
