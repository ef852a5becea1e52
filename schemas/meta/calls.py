"""WhatsApp Business Calling: the ``calls`` webhook and the customer's call-permission answer.

A ``calls`` change carries ``value.calls[]`` (``event`` ``connect``: a call is ringing, with
the SDP offer or answer; ``terminate``: it ended, with ``status``, times and ``duration``),
``value.statuses[]`` of business-initiated calls (``type: call``, ``RINGING`` / ``ACCEPTED``
/ ``REJECTED``) and ``value.errors[]``. A customer answering a call-permission request is an
ordinary message: ``type: interactive`` with ``interactive.type: call_permission_reply``.

Strings stay strings (``event``, ``direction``, ``status``): Meta adds values without notice.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/
(user-initiated-calls, business-initiated-calls, reference); shapes also recorded by pywa
(``tests/data/updates/call_connect.json``, ``call_terminate.json``, ``call_status.json``,
``call_permission_update.json``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from schemas.meta._base import MetaTimestamp, WebhookModel, unix_to_datetime
from schemas.meta.envelope import ContactProfile, Metadata, OtherChange
from schemas.meta.errors import ErrorObject
from schemas.meta.statuses import Status

USER_INITIATED: Final = "USER_INITIATED"
"""``direction`` of a call the customer placed to the business number."""

BUSINESS_INITIATED: Final = "BUSINESS_INITIATED"
"""``direction`` of a call the business placed (through the Calling API)."""


class CallSession(WebhookModel):
    """``session``: the WebRTC SDP of a ``connect`` (an offer for a user-initiated call)."""

    sdp: str | None = Field(default=None, repr=False)
    sdp_type: str | None = None


class Call(WebhookModel):
    """One ``value.calls[]`` item; ``id`` is the call id (``wacid.…``).

    ``from`` and ``to`` are the two parties' numbers: the customer is ``from`` of a
    user-initiated call and ``to`` of a business-initiated one. ``*_user_id`` are the
    business-scoped user ids Meta adds beside (or instead of) the numbers from 2026.
    """

    id: str = Field(min_length=1)
    event: str = Field(min_length=1)
    timestamp: MetaTimestamp
    direction: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    from_user_id: str | None = None
    to_user_id: str | None = None
    status: str | None = None
    start_time: MetaTimestamp | None = None
    end_time: MetaTimestamp | None = None
    duration: int | None = Field(default=None, ge=0)
    session: CallSession | None = None
    biz_opaque_callback_data: str | None = None
    errors: list[ErrorObject] | None = None

    @property
    def sent_at(self) -> datetime:
        """``timestamp`` as an aware UTC datetime: when the event happened."""
        return unix_to_datetime(self.timestamp)

    @property
    def user_initiated(self) -> bool:
        """The customer placed the call (a business-initiated one is answered by ``to``)."""
        return self.direction == USER_INITIATED

    def customer_ids(self) -> tuple[str | None, str | None]:
        """The customer's ``wa_id`` and business-scoped user id, as the call names them."""
        if self.direction == BUSINESS_INITIATED:
            return self.to, self.to_user_id
        return self.from_, self.from_user_id


class CallsValue(WebhookModel):
    """``value`` of a ``calls`` change: calls, call statuses and/or platform errors."""

    messaging_product: Literal["whatsapp"]
    metadata: Metadata
    contacts: list[ContactProfile] | None = None
    calls: list[Call] | None = None
    statuses: list[Status] | None = None
    errors: list[ErrorObject] | None = None


class CallsChange(OtherChange):
    """A change with ``field == "calls"``."""

    field: Literal["calls"]
    value: CallsValue


class CallPermissionReply(WebhookModel):
    """``interactive.call_permission_reply``: may the business call this customer?

    ``response`` is ``accept`` or ``reject``; an accepted permission lasts until
    ``expiration_timestamp`` unless ``is_permanent``. ``response_source`` says whether the
    customer tapped (``user_action``) or WhatsApp answered for them (``automatic``).
    """

    response: str = Field(min_length=1)
    expiration_timestamp: MetaTimestamp | None = None
    response_source: str | None = None
    is_permanent: bool | None = None

    @property
    def expires_at(self) -> datetime | None:
        """When an accepted permission ends, if it ends."""
        if self.expiration_timestamp is None:
            return None
        return unix_to_datetime(self.expiration_timestamp)
