"""The parts every ``value`` of a WhatsApp webhook change shares, and the fallback change.

Kept apart from :mod:`schemas.meta.webhook` so the modules of the other change kinds
(:mod:`schemas.meta.calls`, :mod:`schemas.meta.echoes`, :mod:`schemas.meta.preferences`)
can use them without importing the envelope that routes to them.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from schemas.meta._base import WebhookModel


class Metadata(WebhookModel):
    """``value.metadata``: the business number; route and send by ``phone_number_id``."""

    display_phone_number: str
    phone_number_id: str = Field(min_length=1)


class Profile(WebhookModel):
    """``contacts[].profile``: the customer's WhatsApp display name (and 2026 username)."""

    name: str | None = None
    username: str | None = None


class ContactProfile(WebhookModel):
    """``value.contacts[]``: the customer the items of this value concern.

    ``user_id`` is the business-scoped user id (BSUID) Meta adds from 2026; ``wa_id`` may then
    be missing for customers who adopted a username.
    """

    profile: Profile | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None


class OtherChange(WebhookModel):
    """A change of a ``field`` wagen does not model; ignored (the raw ``value`` is kept).

    The change kinds wagen does model besides ``messages`` subclass it, so code that only
    logs other changes keeps working when one more kind becomes modelled.
    """

    field: str
    value: Any = None
