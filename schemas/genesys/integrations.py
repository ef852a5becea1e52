"""Genesys Cloud Open Messaging integrations: the bodies of the integrations API.

``POST /api/v2/conversations/messaging/integrations/open`` takes an
:class:`OpenIntegrationRequest`; ``PATCH .../open/{integrationId}`` an
:class:`OpenIntegrationUpdateRequest`; both answer an :class:`OpenIntegration`, whose
``createStatus`` goes ``Initiated`` → ``Completed`` (or ``Error``). ``GET .../open`` answers an
:class:`OpenIntegrationEntityListing`.

Docs: the Genesys platform SDK models of the same names (``MyPureCloud/platform-client-sdk-python``
257.1.0, ``build/docs/OpenIntegration*.md``) and reference ``genesys-open-messaging.md`` §7.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.genesys._base import GenesysBody, GenesysWebhookModel

CreateStatus = Literal["Initiated", "Completed", "Error"]
"""``createStatus`` of an integration: the asynchronous creation's progress."""

MIN_SECRET_CHARS = 16
"""The webhook signature secret token "must be longer than 15 characters" (SDK)."""


class OpenIntegrationRequest(GenesysBody):
    """``POST .../integrations/open``: a new Open Messaging integration.

    ``supportedContent`` and ``messagingSetting`` are left out: Genesys then applies the
    org's default profile and settings.
    """

    name: str = Field(min_length=1, max_length=500)
    outbound_notification_webhook_url: str = Field(
        alias="outboundNotificationWebhookUrl", min_length=1
    )
    outbound_notification_webhook_signature_secret_token: str = Field(
        alias="outboundNotificationWebhookSignatureSecretToken",
        min_length=MIN_SECRET_CHARS,
        repr=False,
    )
    webhook_headers: dict[str, str] | None = Field(default=None, alias="webhookHeaders")


class OpenIntegrationUpdateRequest(GenesysBody):
    """``PATCH .../integrations/open/{integrationId}``: ``name`` is required, the rest optional."""

    name: str = Field(min_length=1, max_length=500)
    outbound_notification_webhook_url: str | None = Field(
        default=None, alias="outboundNotificationWebhookUrl", min_length=1
    )
    outbound_notification_webhook_signature_secret_token: str | None = Field(
        default=None,
        alias="outboundNotificationWebhookSignatureSecretToken",
        min_length=MIN_SECRET_CHARS,
        repr=False,
    )
    webhook_headers: dict[str, str] | None = Field(default=None, alias="webhookHeaders")


class ErrorInfo(GenesysWebhookModel):
    """``createError``: why an asynchronous creation ended in ``Error``."""

    message: str | None = None
    code: str | None = None


class OpenIntegration(GenesysWebhookModel):
    """An Open Messaging integration as Genesys answers it.

    The SDK marks the secret token as a property, but no answer we rely on carries it back:
    wagen keeps its own copy in Vault and never reads it from Genesys.
    """

    id: str = Field(min_length=1)
    name: str
    outbound_notification_webhook_url: str | None = Field(
        default=None, alias="outboundNotificationWebhookUrl"
    )
    status: str | None = None
    create_status: CreateStatus | None = Field(default=None, alias="createStatus")
    create_error: ErrorInfo | None = Field(default=None, alias="createError")
    date_created: str | None = Field(default=None, alias="dateCreated")
    self_uri: str | None = Field(default=None, alias="selfUri")


class OpenIntegrationEntityListing(GenesysWebhookModel):
    """``GET .../integrations/open?pageSize&pageNumber``: one page of integrations."""

    entities: list[OpenIntegration] = Field(default_factory=list)
    page_size: int | None = Field(default=None, alias="pageSize")
    page_number: int | None = Field(default=None, alias="pageNumber")
    total: int | None = None
    page_count: int | None = Field(default=None, alias="pageCount")
