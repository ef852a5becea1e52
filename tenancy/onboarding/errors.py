"""What onboarding tells an operator when Genesys or Meta refuses: each a 422 naming what to
fix, or a 503 when the vendor could not be reached (and nothing was changed).

Connector errors are classified once, in ``connectors``; this module only turns those
classes (and the step that failed) into the operator's words.
"""

from __future__ import annotations

from connectors.errors import ConnectorError, ConnectorTransportError
from connectors.genesys.errors import GenesysCredentialsError, GenesysError
from connectors.genesys.integrations import missing_permissions
from connectors.genesys.regions import GENESYS_REGIONS
from connectors.meta.errors import MetaCredentialsError, MetaError
from tenancy.errors import ConflictError, TenancyError, UnprocessableError, VendorUnavailableError


class GenesysCredentialsInvalidError(UnprocessableError):
    """The token endpoint refused the OAuth client (wrong id or secret, or wrong region)."""

    code = "genesys_credentials_invalid"


class GenesysPermissionMissingError(UnprocessableError):
    """The OAuth client's role lacks a permission wagen needs (named in ``permission``)."""

    code = "genesys_permission_missing"


class GenesysRegionUnknownError(UnprocessableError):
    """The region is neither a Genesys region nor a Genesys domain."""

    code = "genesys_region_unknown"


class GenesysIntegrationNotFoundError(UnprocessableError):
    """The ``integrationId`` given does not exist in the client's org."""

    code = "genesys_integration_not_found"


class GenesysIntegrationFailedError(UnprocessableError):
    """Genesys reports the integration's creation failed (``createStatus: Error``)."""

    code = "genesys_integration_failed"


class GenesysRefusedError(UnprocessableError):
    """Genesys refused a call for another reason (its message says which)."""

    code = "genesys_refused"


class GenesysUnavailableError(VendorUnavailableError):
    """Genesys could not be reached, answered 5xx, or did not finish in time."""

    code = "genesys_unavailable"


class MetaTokenInvalidError(UnprocessableError):
    """Meta refused the access token (expired, revoked, or not a token)."""

    code = "meta_token_invalid"


class MetaNumberUnreachableError(UnprocessableError):
    """The token cannot reach the business number (another account's, or no access)."""

    code = "meta_phone_number_unreachable"


class MetaAppNotSubscribedError(UnprocessableError):
    """The app could not be subscribed to the WABA's webhooks, or is not subscribed to us."""

    code = "meta_app_not_subscribed"


class MetaCallbackUnverifiedError(UnprocessableError):
    """Meta could not verify wagen's callback URL for the tenant (unreachable from Meta)."""

    code = "meta_callback_unverified"


class MetaRefusedError(UnprocessableError):
    """Meta refused a call for another reason (its message says which)."""

    code = "meta_refused"


class MetaUnavailableError(VendorUnavailableError):
    """Meta could not be reached or answered 5xx."""

    code = "meta_unavailable"


class OnboardingBusyError(ConflictError):
    """The same tenant's credentials of this type are being connected right now."""

    code = "onboarding_in_progress"


def region_unknown(region: str, tenant_id: str) -> GenesysRegionUnknownError:
    """The 422 for an unknown region, listing every region and domain wagen knows."""
    known = ", ".join(GENESYS_REGIONS)
    return GenesysRegionUnknownError(
        # The value given is not echoed: an error answer reflects no caller input.
        f"not a Genesys Cloud region; use one of: {known} (or its domain)",
        tenant_id=tenant_id,
        details={
            "knownRegions": list(GENESYS_REGIONS),
            "knownDomains": list(GENESYS_REGIONS.values()),
        },
    )


def _unavailable(exc: ConnectorError) -> bool:
    return exc.retriable or isinstance(exc, ConnectorTransportError)


def genesys_failure(exc: ConnectorError, step: str, tenant_id: str) -> TenancyError:
    """The operator's error for a Genesys failure during ``step`` (e.g. "create the
    integration")."""
    if isinstance(exc, GenesysCredentialsError):
        return GenesysCredentialsInvalidError(
            f"Genesys refused the OAuth client: check clientId, clientSecret and region "
            f"({exc.message})",
            tenant_id=tenant_id,
        )
    if isinstance(exc, GenesysError) and exc.http_status == 403:
        names = missing_permissions(exc)
        named = ", ".join(names) if names else "a permission (Genesys did not say which)"
        return GenesysPermissionMissingError(
            f"the OAuth client's role lacks {named}, needed to {step}; add it to the role",
            tenant_id=tenant_id,
            details={"permission": names[0] if names else None, "permissions": names},
        )
    if _unavailable(exc):
        return GenesysUnavailableError(
            f"Genesys unavailable while trying to {step}: {exc.message}; nothing was changed, "
            "retry",
            tenant_id=tenant_id,
        )
    return GenesysRefusedError(f"Genesys refused to {step}: {exc.message}", tenant_id=tenant_id)


def meta_failure(exc: ConnectorError, step: str, tenant_id: str) -> TenancyError:
    """The operator's error for a Meta failure during ``step``."""
    if isinstance(exc, MetaCredentialsError) and exc.vendor_code == 190:
        return MetaTokenInvalidError(
            f"Meta refused the access token (code 190) while trying to {step}: it is expired, "
            "revoked or mistyped",
            tenant_id=tenant_id,
        )
    if _unavailable(exc):
        return MetaUnavailableError(
            f"Meta unavailable while trying to {step}: {exc.message}; nothing was changed, retry",
            tenant_id=tenant_id,
        )
    vendor = exc.vendor_code if isinstance(exc, MetaError) else None
    return MetaRefusedError(
        f"Meta refused to {step} (code {vendor}): {exc.message}", tenant_id=tenant_id
    )
