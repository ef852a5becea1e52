"""The two shapes of a tenant's credentials: what the admin API takes, what Vault keeps.

The API takes what an operator has (the integration guide's bodies: Meta's app secret,
verify token, access token and number; Genesys's client id, secret and region); onboarding
checks them live and completes them — the WABA the number belongs to, the Genesys
integration and its webhook secret — into the stored form the pipeline reads.

The stored form also carries a rotation: the secret that was current before the last change
and until when it is still accepted, so webhooks signed with it during a changeover verify
(:meth:`MetaCredentials.signing_secrets`, :meth:`GenesysCredentials.signing_secrets`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from tenancy.models import ApiModel

CredentialType = Literal["meta", "genesys"]
CREDENTIAL_TYPES: tuple[CredentialType, ...] = ("meta", "genesys")

_DIGITS = r"^[0-9]{1,30}$"
_REGION = r"^[a-z0-9-]+(\.[a-z0-9-]+)*$"


class _Credentials(ApiModel):
    """Credentials as JSON: camelCase, immutable, nothing extra."""


class MetaCredentialsInput(_Credentials):
    """``POST /tenants/{id}/credentials`` with ``type: meta``: the tenant's Meta app and number.

    ``wabaId`` is optional: onboarding finds the WABA the token manages that holds the number.
    """

    app_secret: str = Field(min_length=1, max_length=500)
    verify_token: str = Field(min_length=1, max_length=500)
    access_token: str = Field(min_length=1, max_length=4000)
    phone_number_id: str = Field(pattern=_DIGITS)
    waba_id: str | None = Field(default=None, pattern=_DIGITS)


class GenesysCredentialsInput(_Credentials):
    """``POST /tenants/{id}/credentials`` with ``type: genesys``: the tenant's OAuth client.

    ``region`` is a region name (``eu-west-1``) or its domain (``mypurecloud.ie``). Without
    ``integrationId`` wagen adopts the integration named after the tenant or creates it; with
    it, wagen adopts that one. Without ``outboundWebhookSecret`` wagen generates the secret
    and sets it on the integration; with both, the integration is adopted as it is.
    """

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)
    region: str = Field(pattern=_REGION, max_length=100)
    integration_id: str | None = Field(default=None, min_length=1, max_length=200)
    outbound_webhook_secret: str | None = Field(default=None, min_length=16, max_length=500)


def _live(previous: str | None, until: datetime | None, now: datetime) -> list[str]:
    return [previous] if previous and until is not None and now < until else []


class MetaCredentials(_Credentials):
    """A tenant's Meta credentials as stored: signs webhooks (appSecret), answers the
    handshake (verifyToken), sends messages (accessToken from phoneNumberId).

    ``subscribedByWagen`` records that onboarding subscribed the app to the WABA, so removing
    the tenant may unsubscribe it (a subscription that was there before is left alone).
    """

    app_secret: str = Field(min_length=1, max_length=500)
    verify_token: str = Field(min_length=1, max_length=500)
    access_token: str = Field(min_length=1, max_length=4000)
    phone_number_id: str = Field(pattern=_DIGITS)
    waba_id: str | None = Field(default=None, pattern=_DIGITS)
    subscribed_by_wagen: bool = False
    previous_app_secret: str | None = Field(default=None, min_length=1, max_length=500)
    previous_secret_expires_at: AwareDatetime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The app secrets a webhook may be signed with now: current, then previous."""
        previous = _live(self.previous_app_secret, self.previous_secret_expires_at, now)
        return [self.app_secret, *previous]


class GenesysCredentials(_Credentials):
    """A tenant's Genesys credentials as stored: the OAuth client and the integration.

    ``integrationCreatedByWagen`` records that the integration is wagen's (created, or
    adopted by wagen's name for it), so removing the tenant may delete it; an integration
    named by the operator is never deleted.
    """

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)
    region: str = Field(pattern=_REGION, max_length=100)
    integration_id: str = Field(min_length=1, max_length=200)
    outbound_webhook_secret: str = Field(min_length=1, max_length=500)
    integration_created_by_wagen: bool = False
    previous_outbound_webhook_secret: str | None = Field(default=None, min_length=1, max_length=500)
    previous_secret_expires_at: AwareDatetime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The webhook secrets an agent message may be signed with now: current, previous."""
        previous = _live(
            self.previous_outbound_webhook_secret, self.previous_secret_expires_at, now
        )
        return [self.outbound_webhook_secret, *previous]


StoredCredentials = MetaCredentials | GenesysCredentials

MODELS: dict[CredentialType, type[MetaCredentials] | type[GenesysCredentials]] = {
    "meta": MetaCredentials,
    "genesys": GenesysCredentials,
}
"""The stored form of each type."""

INPUT_MODELS: dict[CredentialType, type[MetaCredentialsInput] | type[GenesysCredentialsInput]] = {
    "meta": MetaCredentialsInput,
    "genesys": GenesysCredentialsInput,
}
"""What the admin API and the CLI take for each type."""
