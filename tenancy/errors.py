"""Errors of the tenancy layer and of the stores it owns.

Each class names one outcome a caller can act on; the gateway's error middleware maps them to
HTTP statuses by class, so nothing in tenancy builds an HTTP response for a failure.
"""

from __future__ import annotations

from typing import Any

from schemas.errors import WagenError


class TenancyError(WagenError):
    """Category root for tenancy and its stores."""

    code = "tenancy_error"

    def public_details(self) -> dict[str, Any]:
        """Facts safe to show the caller next to ``code`` and ``message`` (never a secret)."""
        return {}


class MigrationError(TenancyError):
    """The database schema cannot be brought to the expected version."""

    code = "migration_error"


class InvalidRequestError(TenancyError):
    """The caller sent something malformed or out of range (a 400, never retried)."""

    code = "invalid_request"

    def __init__(
        self, message: str, *, tenant_id: str | None = None, errors: list[Any] | None = None
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.errors = errors or []

    def public_details(self) -> dict[str, Any]:
        """The validation problems: field locations and messages, never the values sent."""
        return {"errors": self.errors} if self.errors else {}


class NotFoundError(TenancyError):
    """A tenant-scoped thing does not exist for this caller (another tenant's looks the same)."""

    code = "not_found"


class TenantNotFoundError(NotFoundError):
    """No tenant with that id (or it was purged)."""

    code = "tenant_not_found"


class ConflictError(TenancyError):
    """The thing already exists (tenant id or subdomain taken)."""

    code = "conflict"


class AuthenticationError(TenancyError):
    """No credential, or one that matches nothing (revoked key, bad JWT)."""

    code = "unauthenticated"


class ForbiddenError(TenancyError):
    """A valid credential that may not do this (a tenant key on an admin route)."""

    code = "forbidden"


class TenantSuspendedError(ForbiddenError):
    """The tenant exists but is suspended."""

    code = "tenant_suspended"


class RateLimitedError(TenancyError):
    """The tenant sent more requests per second than its limit allows."""

    retriable = True
    code = "rate_limited"

    def __init__(self, *, tenant_id: str, limit: int, retry_after_s: int) -> None:
        super().__init__(
            f"rate limit of {limit} requests per second exceeded; retry after {retry_after_s}s",
            tenant_id=tenant_id,
        )
        self.limit = limit
        self.retry_after_s = retry_after_s

    def public_details(self) -> dict[str, Any]:
        """The limit and the wait, also sent as headers."""
        return {"limit": self.limit, "retryAfter": self.retry_after_s}


class AuthThrottledError(TenancyError):
    """Too many failed authentications lately from this client address (or for this API key).

    No tenant: the caller has not proved who it is.
    """

    retriable = True
    code = "auth_throttled"

    def __init__(self, *, retry_after_s: int) -> None:
        super().__init__(f"too many failed authentication attempts; retry after {retry_after_s}s")
        self.retry_after_s = retry_after_s

    def public_details(self) -> dict[str, Any]:
        """The wait, also sent as ``Retry-After``."""
        return {"retryAfter": self.retry_after_s}


class QuotaExceededError(TenancyError):
    """The tenant used its plan's messages for this calendar month."""

    code = "monthly_quota_exceeded"

    def __init__(self, *, tenant_id: str, plan: str, limit: int, retry_after_s: int) -> None:
        super().__init__(
            f"plan {plan!r} allows {limit} messages per calendar month; the quota is used up",
            tenant_id=tenant_id,
        )
        self.plan = plan
        self.limit = limit
        self.retry_after_s = retry_after_s

    def public_details(self) -> dict[str, Any]:
        """Which plan and limit tripped."""
        return {"plan": self.plan, "limit": self.limit, "retryAfter": self.retry_after_s}


class CredentialStoreError(TenancyError):
    """Vault refused or failed a credential read or write."""

    retriable = True
    code = "credential_store_unavailable"


class UnprocessableError(TenancyError):
    """Well-formed, but Genesys or Meta refused what it names (a 422): fix it and resend.

    ``details`` are facts that say what to fix (the permission missing, the regions known);
    never a secret.
    """

    code = "unprocessable"

    def __init__(
        self, message: str, *, tenant_id: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.details = details or {}

    def public_details(self) -> dict[str, Any]:
        """What to fix."""
        return dict(self.details)


class VendorUnavailableError(TenancyError):
    """Genesys or Meta could not be reached or answered 5xx (a 503): nothing was changed."""

    retriable = True
    code = "vendor_unavailable"
