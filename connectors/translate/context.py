"""What a translation needs to know beyond the body: ids and lookups known only at run time.

The translators are pure, so everything that depends on the tenant or on wagen's tracking
store comes in through these two contexts. The pipeline fills them from the tenant's record
and from tracking; ``wagen translate`` fills them with visible placeholders (or with what
``--tenant`` supplies). The lookups are synchronous on purpose: the pipeline fetches what
:func:`~connectors.translate.to_genesys.referenced_wamids` names before translating, so the
translation itself never waits on I/O.

Also here: the one customer-id convention both directions share. Genesys threads a
conversation per ``channel.from.id`` (reference ``genesys-open-messaging.md`` section 0), so
the id must never change: wagen keeps one *customer key* per person (or group) and tenant
(the pipeline's identity store picks it, see ``docs/mapping.md`` "Identities"): a ``wa_id``
key becomes ``+`` + ``wa_id`` with ``idType: Phone``; a business-scoped user id or a group id
is sent as it is with ``idType: Opaque``. Back to Meta, a :class:`Recipient` says how a send
addresses the customer: ``to`` with the number, ``recipient`` with the BSUID, or ``to`` with a
group id and ``recipient_type: group``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, Protocol, TypedDict

from schemas.genesys import IdType
from schemas.meta.send_common import BSUID

_WA_ID: Final = re.compile(r"[0-9]{5,20}")
# A number as people write it: +, spaces, dots, dashes and parentheses between the digits.
_FORMATTED_PHONE: Final = re.compile(r"\+?[0-9][0-9 ().\-]{3,30}[0-9]")
_PHONE_PUNCTUATION: Final = re.compile(r"[+ ().\-]")

RecipientKind = Literal["phone", "user_id", "group"]
"""How Meta addresses a customer: by number, by business-scoped user id, or a group."""


class Addressing(TypedDict, total=False):
    """The addressing fields of a send body (``SendBase``), as keyword arguments."""

    recipient_type: Literal["individual", "group"]
    to: str
    recipient: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom a Meta send goes to, and in which field.

    Attributes:
        kind: ``phone`` (``to: +digits``), ``user_id`` (``recipient: <BSUID>``, for a
            customer whose number wagen does not know) or ``group`` (``to: <group id>``
            with ``recipient_type: group``, through the Groups API).
        value: ``+digits``, the BSUID, or the group id.
    """

    kind: RecipientKind
    value: str

    def fields(self) -> Addressing:
        """The addressing fields of a send body."""
        if self.kind == "user_id":
            return {"recipient_type": "individual", "recipient": self.value}
        if self.kind == "group":
            return {"recipient_type": "group", "to": self.value}
        return {"recipient_type": "individual", "to": self.value}

    @property
    def is_group(self) -> bool:
        """A group: no interactive messages (Groups API), no typing indicator."""
        return self.kind == "group"


class MediaLinker(Protocol):
    """Gives the https link Genesys fetches an inbound media file from."""

    def __call__(self, media_id: str, /) -> str:
        """wagen's signed media link for a WhatsApp media id (valid 7 days at Meta)."""
        ...


class WamidLookup(Protocol):
    """Looks something up by a wamid in wagen's tracking store; ``None`` when unknown."""

    def __call__(self, wamid: str, /) -> str | None:
        """The value tracked for ``wamid``, if any."""
        ...


class CustomerLookup(Protocol):
    """Looks something up by a Genesys customer id (``channel.to.id``); ``None`` when unknown."""

    def __call__(self, customer_id: str, /) -> str | None:
        """The value tracked for the customer, if any."""
        ...


class OptOutLookup(Protocol):
    """Whether a customer (wagen's customer id) stopped marketing messages; ``None``: unknown."""

    def __call__(self, customer: str, /) -> bool | None:
        """``True`` opted out, ``False`` not, ``None`` when the lookup cannot tell."""
        ...


def unknown(_key: str) -> str | None:
    """The lookup that knows nothing (the default of every optional lookup)."""
    return None


def no_preference(_customer: str) -> bool | None:
    """The opt-out lookup that knows nothing (dry runs, receipts)."""
    return None


@dataclass(frozen=True, slots=True)
class GenesysTarget:
    """Run-time facts for translating WhatsApp events into Genesys calls.

    Attributes:
        integration_id: the Open Messaging integration the business number is bound to.
        media_url: wagen's signed link for an inbound media id.
        genesys_message_id: for a wamid *we* sent, the Genesys message id it came from; it
            gives receipts their ``id`` and tells a button answer to a Genesys structured
            message apart from any other. Return ``None`` for all but one wamid of an agent
            message that was split into several WhatsApp messages, so Genesys gets one receipt.
        quoted_text: the text of a message a reply or a reaction refers to, when tracked.
        customer_key: the customer's stable key from wagen's identity store, which becomes
            ``channel.from.id`` / ``channel.to.id``; ``None`` uses the event's own customer
            (the dry runs, which have no store).
        marketing_opt_out: the customer's recorded marketing choice, for the routing context
            (``channel.metadata.customAttributes``); left out when it answers ``None``.
    """

    integration_id: str
    media_url: MediaLinker
    genesys_message_id: WamidLookup = unknown
    quoted_text: WamidLookup = unknown
    customer_key: str | None = None
    marketing_opt_out: OptOutLookup = no_preference


@dataclass(frozen=True, slots=True)
class MetaTarget:
    """Run-time facts for translating Genesys webhook bodies into Meta calls.

    Attributes:
        phone_number_id: the business number that answers this customer.
        last_inbound_wamid: the customer's latest message, which an agent's typing indicator
            must be attached to (Meta shows typing only through mark-as-read).
        recipient: how to address the customer, from wagen's identity store (their current
            number, else their BSUID, or a group); ``None`` reads it off ``channel.to.id``
            (:func:`meta_recipient`).
    """

    phone_number_id: str
    last_inbound_wamid: CustomerLookup = unknown
    recipient: Recipient | None = None


def customer_key(customer_id: str) -> str:
    """wagen's key of a customer id from either side: a number in any formatting (``+``,
    spaces, dashes, parentheses) becomes its digits; a BSUID or group id stays as it is."""
    value = customer_id.strip()
    if _FORMATTED_PHONE.fullmatch(value):
        digits = _PHONE_PUNCTUATION.sub("", value)
        if _WA_ID.fullmatch(digits):
            return digits
    return value


def genesys_customer(customer: str) -> tuple[str, IdType]:
    """The Genesys ``id`` and ``idType`` of a customer key (digits, a BSUID, a group id)."""
    key = customer_key(customer)
    if _WA_ID.fullmatch(key):
        return f"+{key}", "Phone"
    return key, "Opaque"


def meta_recipient(customer_id: str) -> Recipient | None:
    """How to address a Genesys customer id when the identity store has nothing to say: a
    number (any formatting) by ``to``, a BSUID by ``recipient``; ``None`` for anything else
    (a group id cannot be told apart from other opaque ids without the store)."""
    key = customer_key(customer_id)
    if _WA_ID.fullmatch(key):
        return Recipient("phone", f"+{key}")
    if BSUID.fullmatch(key):
        return Recipient("user_id", key)
    return None
