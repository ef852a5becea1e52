"""What the onboarding and health routes answer: what was checked and set up, never a secret."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from tenancy.models import ApiModel, CredentialMeta, Tenant


class GenesysConnection(ApiModel):
    """The tenant's Open Messaging integration as onboarding left it.

    ``provisioning``: ``created`` (wagen created it), ``updated`` (an existing one was pointed
    at wagen with a new secret) or ``adopted`` (an integration and secret given, kept as is).
    """

    integration_id: str
    integration_name: str
    webhook_url: str | None
    create_status: str | None
    provisioning: Literal["created", "updated", "adopted"]
    created_by_wagen: bool


class MetaConnection(ApiModel):
    """The tenant's business number as Meta describes it, and the webhook subscription set."""

    phone_number_id: str
    display_phone_number: str | None
    verified_name: str | None
    quality_rating: str | None
    throughput_level: str | None
    status: str | None
    waba_id: str
    callback_url: str
    subscribed_by_wagen: bool


class CredentialsConnected(CredentialMeta):
    """``POST /tenants/{id}/credentials`` answer: the stored version and what was set up."""

    genesys: GenesysConnection | None = None
    meta: MetaConnection | None = None


class SecretRotated(ApiModel):
    """``POST /tenants/{id}/credentials/genesys/rotate`` answer.

    The previous secret is accepted until ``previousAcceptedUntil``; Genesys already signs
    with the new one.
    """

    credential: CredentialMeta
    previous_accepted_until: datetime


class CredentialsRemoved(ApiModel):
    """``DELETE /tenants/{id}/credentials/{type}`` answer: what was undone at the vendor."""

    type: Literal["meta", "genesys"]
    removed: bool
    vendor: list[str] = Field(description="What was undone at Genesys or Meta (may be empty).")


CheckStatus = Literal["ok", "failed", "skipped", "info"]


class HealthCheck(ApiModel):
    """One check of the doctor: ``info`` rows report facts and never fail."""

    name: str
    status: CheckStatus
    detail: str
    at: datetime | None = None


class HealthReport(ApiModel):
    """``GET /tenants/{id}/health``: every connection checked now."""

    tenant_id: str
    healthy: bool
    checked_at: datetime
    checks: list[HealthCheck]


class TenantDeleted(Tenant):
    """``DELETE /tenants/{id}`` answer: the tenant, and what was undone at the vendors."""

    vendor: list[str] = Field(
        default_factory=list, description="What was undone at Genesys or Meta (may be empty)."
    )
