"""A tenant's Meta bearer for the worker's Graph calls, cached like its Genesys client.

Inbound media is the worker's first Meta call: the download needs the tenant's system-user
token. It comes from Vault through :class:`~pipeline.runtime.ttl_cache.TtlCache` (one read
per tenant per TTL, shared by concurrent callers); a token Meta refuses is forgotten so the
next attempt reads Vault again, in case it was rotated.
"""

from __future__ import annotations

from connectors.meta.graph import MetaAuth
from pipeline.runtime.ttl_cache import TtlCache
from pipeline.worker.errors import CredentialsMissingError
from tenancy.credentials import CredentialService, MetaCredentials


class MetaAuthDirectory:
    """Cached Meta credentials per tenant, handed out as :class:`MetaAuth` per number."""

    def __init__(self, credentials: CredentialService, ttl_s: float) -> None:
        self._credentials = credentials
        self._cache: TtlCache[str, MetaCredentials | None] = TtlCache(self._load, ttl_s)

    async def _load(self, tenant_id: str) -> MetaCredentials | None:
        found = await self._credentials.read(tenant_id, "meta")
        return found if isinstance(found, MetaCredentials) else None

    async def auth(self, tenant_id: str, phone_number_id: str) -> MetaAuth:
        """The tenant's token for calls about ``phone_number_id`` (the number the event names).

        Raises:
            CredentialsMissingError: the tenant has no Meta credentials (the event is held).
        """
        credentials = await self._cache.get(tenant_id)
        if credentials is None:
            raise CredentialsMissingError(
                f"tenant {tenant_id!r} has no meta credentials", tenant_id=tenant_id
            )
        return MetaAuth(
            access_token=credentials.access_token,
            phone_number_id=phone_number_id,
            tenant_id=tenant_id,
        )

    def forget(self, tenant_id: str) -> None:
        """Drop the cached token (Meta refused it: maybe rotated since)."""
        self._cache.invalidate(tenant_id)
