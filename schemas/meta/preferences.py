"""``user_preferences``: a customer stopped or resumed marketing messages from the business.

``value.user_preferences[]`` items: ``category`` (``marketing_messages``), ``value``
(``stop``, ``resume``, or ``signup`` through a sign-up link), a ``detail`` sentence, the
customer's ``wa_id`` and a ``timestamp`` (Unix seconds as a *number* here). Service messages
(agent replies inside the window) are not affected; marketing templates to a customer who
stopped are refused by Meta (131050) and must not be attempted.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
and pywa ``tests/data/updates/user_marketing_preferences.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from schemas.meta._base import MetaTimestamp, WebhookModel, unix_to_datetime
from schemas.meta.envelope import ContactProfile, Metadata, OtherChange

MARKETING: Final = "marketing_messages"
"""The one ``category`` Meta documents."""

OPTED_OUT: Final = frozenset({"stop"})
"""``value``s that mean the customer refuses marketing messages from now on."""

OPTED_IN: Final = frozenset({"resume", "signup"})
"""``value``s that mean the customer accepts them (again)."""


class UserPreference(WebhookModel):
    """One ``value.user_preferences[]`` item."""

    wa_id: str | None = None
    user_id: str | None = None
    category: str = Field(min_length=1)
    value: str = Field(min_length=1)
    detail: str | None = None
    signup_id: str | None = None
    timestamp: MetaTimestamp

    @property
    def sent_at(self) -> datetime:
        """``timestamp`` as an aware UTC datetime: when the customer chose."""
        return unix_to_datetime(self.timestamp)

    @property
    def marketing_opt_out(self) -> bool | None:
        """``True`` stopped, ``False`` resumed or signed up, ``None`` anything else."""
        if self.category != MARKETING:
            return None
        if self.value.casefold() in OPTED_OUT:
            return True
        if self.value.casefold() in OPTED_IN:
            return False
        return None


class UserPreferencesValue(WebhookModel):
    """``value`` of a ``user_preferences`` change."""

    messaging_product: Literal["whatsapp"]
    metadata: Metadata
    contacts: list[ContactProfile] | None = None
    user_preferences: list[UserPreference] | None = None


class UserPreferencesChange(OtherChange):
    """A change with ``field == "user_preferences"``."""

    field: Literal["user_preferences"]
    value: UserPreferencesValue
