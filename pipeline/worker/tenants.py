"""What the worker needs to know about a tenant, cached: status, plan and Genesys client.

Each agent call needs the tenant's status and plan (PostgreSQL) and its Genesys OAuth
client (Vault). Both come through :class:`~pipeline.runtime.ttl_cache.TtlCache` — one round trip
per tenant per TTL, shared by concurrent callers — the same scheme as the gateway's
webhook secrets. Credentials rotated in Vault are picked up within the TTL, or at once
after Genesys refuses the cached ones (:meth:`TenantDirectory.forget`).
"""

from __future__ import annotations

from connectors.genesys.regions import UnknownRegionError, resolve_endpoints
from connectors.genesys.token import GenesysTenant
from connectors.settings import GenesysClientSettings
from pipeline.runtime.ttl_cache import TtlCache
from pipeline.worker.errors import CredentialsMissingError, GenesysSetupError
from tenancy.credentials import CredentialService, GenesysCredentials
from tenancy.errors import TenantNotFoundError, TenantSuspendedError
from tenancy.models import Tenant
from tenancy.tenants import TenantService


class TenantDirectory:
    """Cached tenant facts for the agents."""

    def __init__(
        self,
        tenants: TenantService,
        credentials: CredentialService,
        genesys_settings: GenesysClientSettings,
        ttl_s: float,
    ) -> None:
        self._tenants = TtlCache(tenants.get, ttl_s)
        self._genesys: TtlCache[str, GenesysCredentials | None] = TtlCache(
            self._load_genesys, ttl_s
        )
        self._credentials = credentials
        self._genesys_settings = genesys_settings

    async def _load_genesys(self, tenant_id: str) -> GenesysCredentials | None:
        found = await self._credentials.read(tenant_id, "genesys")
        return found if isinstance(found, GenesysCredentials) else None

    async def active(self, tenant_id: str) -> Tenant:
        """The tenant, if it may carry traffic (raises for unknown, deleted, suspended)."""
        tenant = await self._tenants.get(tenant_id)
        if tenant.status == "deleted":
            raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
        if tenant.status == "suspended":
            raise TenantSuspendedError(f"tenant {tenant_id!r} is suspended", tenant_id=tenant_id)
        return tenant

    async def genesys(self, tenant_id: str) -> GenesysTenant:
        """The tenant's Genesys OAuth client and integration (raises when missing)."""
        credentials = await self._genesys.get(tenant_id)
        if credentials is None:
            raise CredentialsMissingError(
                f"tenant {tenant_id!r} has no genesys credentials", tenant_id=tenant_id
            )
        try:
            endpoints = resolve_endpoints(credentials.region, self._genesys_settings)
        except UnknownRegionError as exc:
            raise GenesysSetupError(str(exc), tenant_id=tenant_id) from exc
        return GenesysTenant(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            integration_id=credentials.integration_id,
            endpoints=endpoints,
            tenant_id=tenant_id,
        )

    def forget(self, tenant_id: str) -> None:
        """Drop cached credentials (after Genesys refused them: maybe rotated since)."""
        self._genesys.invalidate(tenant_id)

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop everything cached about the tenant: its plan or credentials just changed.

        The held releaser calls this before releasing, or a message released after a plan
        upgrade would meet the old plan here and be held again until the cache expired.
        """
        self._tenants.invalidate(tenant_id)
        self._genesys.invalidate(tenant_id)
