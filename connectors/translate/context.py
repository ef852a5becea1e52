"""What a translation needs to know beyond the body: ids and lookups known only at run time.

The translators are pure, so everything that depends on the tenant or on wagen's tracking
store comes in through these two contexts. The pipeline fills them from the tenant's record
and from tracking; ``wagen translate`` fills them with visible placeholders (or with what
``--tenant`` supplies). The lookups are synchronous on purpose: the pipeline fetches what
:func:`~connectors.translate.to_genesys.referenced_wamids` names before translating, so the
translation itself never waits on I/O.

Also here: the one customer-id convention both directions share. Genesys threads a
conversation per ``channel.from.id`` (reference ``genesys-open-messaging.md`` section 0), so
the id must never change format: a ``wa_id`` becomes ``+`` + ``wa_id`` with ``idType: Phone``;
a business-scoped user id (no ``wa_id``, from 2026) is sent as it is with ``idType: Opaque``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Protocol

from schemas.genesys import IdType

_WA_ID: Final = re.compile(r"[0-9]{5,20}")
_E164: Final = re.compile(r"\+?([0-9]{5,20})")


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
        marketing_opt_out: the customer's recorded marketing choice, for the routing context
            (``channel.metadata.customAttributes``); left out when it answers ``None``.
    """

    integration_id: str
    media_url: MediaLinker
    genesys_message_id: WamidLookup = unknown
    quoted_text: WamidLookup = unknown
    marketing_opt_out: OptOutLookup = no_preference


@dataclass(frozen=True, slots=True)
class MetaTarget:
    """Run-time facts for translating Genesys webhook bodies into Meta calls.

    Attributes:
        phone_number_id: the business number that answers this customer.
        last_inbound_wamid: the customer's latest message, which an agent's typing indicator
            must be attached to (Meta shows typing only through mark-as-read).
    """

    phone_number_id: str
    last_inbound_wamid: CustomerLookup = unknown


def genesys_customer(customer: str) -> tuple[str, IdType]:
    """The Genesys ``id`` and ``idType`` of a WhatsApp customer (``wa_id`` or user id)."""
    if _WA_ID.fullmatch(customer):
        return f"+{customer}", "Phone"
    return customer, "Opaque"


def meta_recipient(customer_id: str) -> str | None:
    """The Meta ``to`` of a Genesys customer id: E.164 with ``+``, or ``None`` if not a phone.

    Meta's v23 send API addresses customers by phone only, so a business-scoped user id
    cannot be answered yet.
    """
    match = _E164.fullmatch(customer_id.strip())
    return f"+{match.group(1)}" if match else None
