"""Graph API answers about a business's WhatsApp assets: its number, its token, its WABA.

* ``GET /{phone-number-id}?fields=...`` → :class:`PhoneNumberInfo` (spec ``PhoneNumberInfo``,
  plus ``throughput`` and ``status``, which Meta serves on request);
* ``GET /debug_token?input_token=...`` → :class:`DebugToken`: the token's validity and, in
  ``granular_scopes``, the WABAs it may manage (Meta: "Get shared WABA ID with access token");
* ``GET /{waba-id}/phone_numbers`` → :class:`WabaPhoneNumbers`;
* ``GET``/``POST``/``DELETE /{waba-id}/subscribed_apps`` → :class:`SubscribedApps` /
  :class:`SubscriptionRequest` (the webhook override: ``override_callback_uri`` and
  ``verify_token``; Meta then sends the WABA's webhooks there, unless the number has its own).

Docs: Meta's OpenAPI spec v23.0 (``shared/reference/meta/schema``), FB
``webhooks/override/``, ``solution-providers/manage-accounts``.
"""

from __future__ import annotations

from pydantic import Field

from schemas.meta._base import SendModel, WebhookModel

PHONE_NUMBER_FIELDS = "id,display_phone_number,verified_name,quality_rating,throughput,status"
"""The ``fields`` wagen asks of a phone number."""


class Throughput(WebhookModel):
    """``throughput``: ``STANDARD`` (80 messages/s) or ``HIGH`` (up to 1,000)."""

    level: str | None = None


class PhoneNumberInfo(WebhookModel):
    """A business phone number as the Graph API describes it."""

    id: str
    display_phone_number: str | None = None
    verified_name: str | None = None
    quality_rating: str | None = None
    throughput: Throughput | None = None
    status: str | None = None


class GranularScope(WebhookModel):
    """One permission of a token and the objects (WABA ids) it applies to."""

    scope: str
    target_ids: list[str] = Field(default_factory=list)


class DebugTokenData(WebhookModel):
    """``data`` of a ``debug_token`` answer."""

    app_id: str | None = None
    application: str | None = None
    is_valid: bool = False
    scopes: list[str] = Field(default_factory=list)
    granular_scopes: list[GranularScope] = Field(default_factory=list)

    def targets(self, scope: str) -> list[str]:
        """The object ids ``scope`` is granted on (newest first, as Meta lists them)."""
        return [t for g in self.granular_scopes if g.scope == scope for t in g.target_ids]


class DebugToken(WebhookModel):
    """``GET /debug_token`` answer."""

    data: DebugTokenData


class WabaPhoneNumbers(WebhookModel):
    """``GET /{waba-id}/phone_numbers``: the WABA's numbers (first page)."""

    data: list[PhoneNumberInfo] = Field(default_factory=list)


class SubscribedAppData(WebhookModel):
    """The app of one subscription."""

    id: str | None = None
    name: str | None = None
    link: str | None = None


class SubscribedApp(WebhookModel):
    """One app subscribed to a WABA's webhooks, and its callback override if it set one."""

    whatsapp_business_api_data: SubscribedAppData | None = None
    override_callback_uri: str | None = None


class SubscribedApps(WebhookModel):
    """``GET /{waba-id}/subscribed_apps``."""

    data: list[SubscribedApp] = Field(default_factory=list)


class SubscriptionRequest(SendModel):
    """``POST /{waba-id}/subscribed_apps`` body: subscribe, with the callback override.

    The URL may have at most 200 characters (Meta); the verify token is what Meta's check
    of the callback sends back as ``hub.verify_token``.
    """

    override_callback_uri: str = Field(min_length=1, max_length=200)
    verify_token: str = Field(min_length=1, repr=False)
