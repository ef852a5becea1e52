"""What the webhook routes need to know about a tenant, cached so Vault is not hit per request.

Each webhook needs the tenant's status (unknown → 404, suspended → 403) and one secret
(Meta app secret or verify token, Genesys outbound webhook secret). Both come through
``TtlCache``: one Vault/PostgreSQL round trip per tenant per TTL, shared by concurrent
requests. A failed signature drops the cached credentials once, so a secret rotated in
Vault is picked up at once instead of after the TTL.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from pipeline.runtime.ttl_cache import TtlCache
from tenancy.credentials import CredentialService, GenesysCredentials, MetaCredentials
from tenancy.errors import (
    AuthenticationError,
    NotFoundError,
    TenantNotFoundError,
    TenantSuspendedError,
)
from tenancy.models import Tenant
from tenancy.phone_numbers import NumberOwner, PhoneNumberIndex
from tenancy.platform import PlatformSecrets, SharedMetaApp
from tenancy.tenants import TenantService

C = TypeVar("C", bound=BaseModel)


class CredentialsMissingError(AuthenticationError):
    """The tenant has no credentials of the kind this webhook is signed with."""

    code = "credentials_missing"


class SharedAppMissingError(NotFoundError):
    """The shared-app route was called but the operator configured no shared Meta app."""

    code = "shared_app_not_configured"


class TenantSecrets:
    """Cached tenant status and webhook credentials for the ingress routes."""

    def __init__(
        self,
        tenants: TenantService,
        credentials: CredentialService,
        numbers: PhoneNumberIndex,
        platform: PlatformSecrets,
        ttl_s: float,
    ):
        self._tenants = TtlCache(tenants.get, ttl_s)
        self._owned: TtlCache[str, set[str]] = TtlCache(numbers.numbers_of, ttl_s)
        self._owner: TtlCache[str, NumberOwner | None] = TtlCache(numbers.owner, ttl_s)
        self._shared_app: TtlCache[str, SharedMetaApp | None] = TtlCache(
            lambda _: platform.shared_meta_app(), ttl_s
        )
        self._meta: TtlCache[str, MetaCredentials | None] = TtlCache(self._load_meta, ttl_s)
        self._genesys: TtlCache[str, GenesysCredentials | None] = TtlCache(
            self._load_genesys, ttl_s
        )
        self._credentials = credentials

    async def _load_meta(self, tenant_id: str) -> MetaCredentials | None:
        found = await self._credentials.read(tenant_id, "meta")
        return found if isinstance(found, MetaCredentials) else None

    async def _load_genesys(self, tenant_id: str) -> GenesysCredentials | None:
        found = await self._credentials.read(tenant_id, "genesys")
        return found if isinstance(found, GenesysCredentials) else None

    async def active_tenant(self, tenant_id: str) -> Tenant:
        """The tenant, if it may receive traffic: else 404 (unknown, deleted) or 403."""
        tenant = await self._tenants.get(tenant_id)
        if tenant.status == "deleted":
            raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
        if tenant.status == "suspended":
            raise TenantSuspendedError(f"tenant {tenant_id!r} is suspended", tenant_id=tenant_id)
        return tenant

    async def meta(self, tenant_id: str) -> MetaCredentials:
        """The tenant's Meta credentials, or ``CredentialsMissingError``."""
        return _present(await self._meta.get(tenant_id), "meta", tenant_id)

    async def genesys(self, tenant_id: str) -> GenesysCredentials:
        """The tenant's Genesys credentials, or ``CredentialsMissingError``."""
        return _present(await self._genesys.get(tenant_id), "genesys", tenant_id)

    async def owned_numbers(self, tenant_id: str) -> set[str]:
        """The business numbers the tenant owns."""
        return await self._owned.get(tenant_id)

    async def number_owner(self, phone_number_id: str) -> str | None:
        """The tenant owning a business number, or None."""
        owner = await self._owner.get(phone_number_id)
        return owner.tenant_id if owner else None

    async def shared_meta_app(self) -> SharedMetaApp:
        """The operator's shared Meta app, or ``SharedAppMissingError``."""
        app = await self._shared_app.get("meta-app")
        if app is None:
            raise SharedAppMissingError("this wagen runs no shared Meta app")
        return app

    def forget_shared_app(self) -> None:
        """Drop the cached shared app (after a bad signature: it may have been rotated)."""
        self._shared_app.invalidate("meta-app")

    def forget_credentials(self, tenant_id: str) -> None:
        """Drop cached credentials so the next request reads Vault (after a bad signature)."""
        self._meta.invalidate(tenant_id)
        self._genesys.invalidate(tenant_id)


def _present(found: C | None, kind: str, tenant_id: str) -> C:
    if found is None:
        raise CredentialsMissingError(
            f"tenant {tenant_id!r} has no {kind} credentials", tenant_id=tenant_id
        )
    return found
