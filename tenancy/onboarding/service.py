"""The onboarding service: what the admin API and the CLI call to connect, rotate, remove
and examine a tenant's Meta and Genesys credentials.

One operation per tenant and credential type at a time (a Redis lock, across gateway
replicas): two concurrent onboardings would otherwise both create an integration.

Fate of a tenant's vendor side (the operator's choice, documented in the README):

* suspended: nothing changes at Genesys or Meta; their webhooks get 403 until the
  suspension is lifted (Meta retries for days, Genesys five times);
* deleted, or its credentials removed, with ``disconnect`` (the default,
  ``WAGEN_ONBOARDING_DISCONNECT_ON_DELETE``): the Genesys integration wagen created is
  deleted and the Meta app wagen subscribed is unsubscribed from the WABA; what wagen did not
  create is left alone. Without ``disconnect`` both stay as they are.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final, TypeVar

from redis.asyncio import Redis

from tenancy.activity import WebhookActivity
from tenancy.audit import Actor
from tenancy.credential_models import (
    CredentialType,
    GenesysCredentials,
    GenesysCredentialsInput,
    MetaCredentials,
    MetaCredentialsInput,
    StoredCredentials,
)
from tenancy.credentials import StoredVersion, validate_input
from tenancy.errors import NotFoundError, TenantNotFoundError
from tenancy.models import CredentialMeta, CredentialsWrite, Tenant
from tenancy.onboarding.doctor import Doctor
from tenancy.onboarding.errors import OnboardingBusyError
from tenancy.onboarding.genesys import GenesysOnboarding
from tenancy.onboarding.meta import MetaOnboarding
from tenancy.onboarding.models import (
    CredentialsConnected,
    CredentialsRemoved,
    GenesysConnection,
    HealthReport,
    MetaConnection,
    SecretRotated,
    TenantDeleted,
)
from tenancy.onboarding.vendors import Vendors
from tenancy.phone_numbers import PhoneNumberTakenError
from tenancy.services import Tenancy
from tenancy.settings import OnboardingSettings

C = TypeVar("C", MetaCredentials, GenesysCredentials)

_RELEASE: Final = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class Onboarding:
    """Connects tenants to Genesys and Meta over the tenancy services."""

    def __init__(
        self,
        tenancy: Tenancy,
        vendors: Vendors,
        settings: OnboardingSettings,
        redis_client: Redis,
        activity: WebhookActivity,
    ) -> None:
        self._tenancy = tenancy
        self._settings = settings
        self._redis = redis_client
        self.activity = activity
        self.genesys = GenesysOnboarding(vendors, settings)
        self.meta = MetaOnboarding(vendors, settings)
        self.doctor = Doctor(tenancy.credentials, vendors, settings, activity, tenancy.state.pool)

    async def connect(
        self, tenant_id: str, body: CredentialsWrite, actor: Actor
    ) -> CredentialsConnected:
        """Check the credentials live, provision the vendor side, store the stored form."""
        await self._writable(tenant_id)
        given = validate_input(body.type, body.credentials)
        credentials = self._tenancy.credentials
        async with self._lock(tenant_id, body.type):
            previous = await credentials.current(tenant_id, body.type)
            if isinstance(given, MetaCredentialsInput):
                owner = await self._tenancy.numbers.owner(given.phone_number_id)
                if owner is not None and owner.tenant_id != tenant_id:
                    raise PhoneNumberTakenError(
                        f"phone number {given.phone_number_id} belongs to another tenant",
                        tenant_id=tenant_id,
                    )
                release = None if owner else given.phone_number_id
                connected = await self.meta.connect(
                    tenant_id,
                    given,
                    _as(previous, MetaCredentials),
                    self._store(tenant_id, actor),
                    self._undo(tenant_id, "meta", previous, actor, release=release),
                )
                return _answer(connected.meta, meta=connected.connection)
            assert isinstance(given, GenesysCredentialsInput)
            result = await self.genesys.connect(
                tenant_id,
                given,
                _as(previous, GenesysCredentials),
                self._store(tenant_id, actor),
                self._undo(tenant_id, "genesys", previous, actor),
            )
            return _answer(result.meta, genesys=result.connection)

    async def rotate_genesys_secret(self, tenant_id: str, actor: Actor) -> SecretRotated:
        """A new Genesys webhook secret, set on the integration; the old one accepted for
        ``WAGEN_ONBOARDING_ROTATION_WINDOW_S``."""
        await self._writable(tenant_id)
        async with self._lock(tenant_id, "genesys"):
            stored = await self._stored(tenant_id, "genesys")
            current = _as(stored, GenesysCredentials)
            assert current is not None
            meta, until = await self.genesys.rotate(
                tenant_id,
                current,
                self._store(tenant_id, actor, action="credentials.rotate"),
                self._undo(tenant_id, "genesys", stored, actor),
            )
        return SecretRotated(credential=meta, previous_accepted_until=until)

    async def remove(
        self, tenant_id: str, kind: CredentialType, actor: Actor, *, disconnect: bool | None
    ) -> CredentialsRemoved:
        """Remove one type's credentials; with ``disconnect``, undo wagen's vendor side first."""
        await self._writable(tenant_id)
        async with self._lock(tenant_id, kind):
            stored = await self._stored(tenant_id, kind)
            done = await self._disconnect(tenant_id, stored.credentials, disconnect)
            await self._tenancy.credentials.remove(tenant_id, kind, actor)
        return CredentialsRemoved(type=kind, removed=True, vendor=done)

    async def delete_tenant(
        self, tenant_id: str, actor: Actor, *, disconnect: bool | None
    ) -> TenantDeleted:
        """Soft-delete (traffic stops at once), then undo wagen's vendor side if asked.

        Both steps may be repeated: a vendor that was down is disconnected by the next DELETE.
        """
        tenant = await self._tenancy.tenants.soft_delete(tenant_id, actor)
        done: list[str] = []
        for kind in ("genesys", "meta"):
            current = await self._tenancy.credentials.read(tenant_id, kind)
            if current is not None:
                done += await self._disconnect(tenant_id, current, disconnect)
        return TenantDeleted(**tenant.model_dump(), vendor=done)

    async def health(self, tenant_id: str) -> HealthReport:
        """The doctor's report of an existing tenant."""
        await self._tenancy.tenants.get(tenant_id)
        return await self.doctor.examine(tenant_id)

    async def _disconnect(
        self, tenant_id: str, current: StoredCredentials, disconnect: bool | None
    ) -> list[str]:
        if not (self._settings.disconnect_on_delete if disconnect is None else disconnect):
            return ["vendor side kept (disconnect=false)"]
        if isinstance(current, GenesysCredentials):
            return await self.genesys.disconnect(tenant_id, current)
        return await self.meta.disconnect(tenant_id, current)

    async def _writable(self, tenant_id: str) -> Tenant:
        tenant = await self._tenancy.tenants.get(tenant_id)
        if tenant.status == "deleted":
            raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
        return tenant

    async def _stored(self, tenant_id: str, kind: CredentialType) -> StoredVersion:
        stored = await self._tenancy.credentials.current(tenant_id, kind)
        if stored is None:
            raise NotFoundError(f"tenant {tenant_id!r} has no {kind} credentials")
        return stored

    def _store(
        self, tenant_id: str, actor: Actor, *, action: str = "credentials.write"
    ) -> Callable[[StoredCredentials], Awaitable[CredentialMeta]]:
        credentials = self._tenancy.credentials

        async def store(creds: StoredCredentials) -> CredentialMeta:
            return await credentials.store(tenant_id, creds, actor, action=action)

        return store

    def _undo(
        self,
        tenant_id: str,
        kind: CredentialType,
        previous: StoredVersion | None,
        actor: Actor,
        *,
        release: str | None = None,
    ) -> Callable[[], Awaitable[None]]:
        """Vault back to ``previous``; the number ``release`` unclaimed (it was new)."""
        tenancy = self._tenancy

        async def undo() -> None:
            await tenancy.credentials.restore(tenant_id, kind, previous, actor)
            if release is not None:
                await tenancy.numbers.release(tenant_id, release)

        return undo

    @asynccontextmanager
    async def _lock(self, tenant_id: str, kind: CredentialType) -> AsyncIterator[None]:
        key = f"{self._tenancy.config.tenancy.redis_prefix}onboarding:{tenant_id}:{kind}"
        token = secrets.token_hex(16)
        ttl_ms = int((self._settings.genesys_ready_timeout_s + 120) * 1000)
        if not await self._redis.set(key, token, nx=True, px=ttl_ms):
            raise OnboardingBusyError(
                f"the {kind} credentials of {tenant_id!r} are being changed right now; retry",
                tenant_id=tenant_id,
            )
        try:
            yield
        finally:
            await self._redis.eval(_RELEASE, 1, key, token)


def _as(stored: StoredVersion | None, cls: type[C]) -> C | None:
    """The stored credential if it is of ``cls``."""
    if stored is None:
        return None
    return stored.credentials if isinstance(stored.credentials, cls) else None


def _answer(
    stored: CredentialMeta,
    *,
    meta: MetaConnection | None = None,
    genesys: GenesysConnection | None = None,
) -> CredentialsConnected:
    return CredentialsConnected(**stored.model_dump(), meta=meta, genesys=genesys)
