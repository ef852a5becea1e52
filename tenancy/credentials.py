"""Tenant credentials for Meta and Genesys: validated by type, kept in Vault KV v2 only.

Path: ``<kv_mount>/<tenant_prefix>/<tenant_id>/<type>``; each write is a new KV version, so
older versions stay readable in Vault for rollback. PostgreSQL never sees a credential;
callers get metadata only: type, version, update time, and a fingerprint (HMAC under the
server pepper of the canonical JSON, truncated), which tells two versions apart without
being usable to test a guess offline.

This service stores what it is given in the stored form (:mod:`tenancy.credential_models`).
The admin API and the CLI never call :meth:`CredentialService.put` directly: they go
through :mod:`tenancy.onboarding`, which checks the credentials live first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError

from tenancy.apikeys import KeyHasher
from tenancy.audit import Actor, record
from tenancy.credential_models import (
    CREDENTIAL_TYPES,
    INPUT_MODELS,
    MODELS,
    CredentialType,
    GenesysCredentials,
    GenesysCredentialsInput,
    MetaCredentials,
    MetaCredentialsInput,
    StoredCredentials,
)
from tenancy.db.scope import tenant_tx
from tenancy.errors import InvalidRequestError, NotFoundError, TenantNotFoundError
from tenancy.models import ApiModel, CredentialMeta, CredentialsWrite
from tenancy.phone_numbers import PhoneNumberIndex
from tenancy.settings import VaultSettings
from tenancy.vault import KvVersion, VaultClient

__all__ = [
    "CREDENTIAL_TYPES",
    "CredentialService",
    "CredentialType",
    "GenesysCredentials",
    "GenesysCredentialsInput",
    "MetaCredentials",
    "MetaCredentialsInput",
    "StoredVersion",
    "validate_credentials",
    "validate_input",
]


def _parse(kind: CredentialType, model: type[ApiModel], data: dict[str, Any]) -> ApiModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        raise InvalidRequestError(f"invalid {kind} credentials", errors=list(errors)) from None


def validate_credentials(kind: CredentialType, data: dict[str, Any]) -> StoredCredentials:
    """Parse the stored form; errors name fields and problems, never the values given."""
    parsed = _parse(kind, MODELS[kind], data)
    assert isinstance(parsed, MetaCredentials | GenesysCredentials)
    return parsed


def validate_input(
    kind: CredentialType, data: dict[str, Any]
) -> MetaCredentialsInput | GenesysCredentialsInput:
    """Parse what the admin API takes; errors never echo the values given."""
    parsed = _parse(kind, INPUT_MODELS[kind], data)
    assert isinstance(parsed, MetaCredentialsInput | GenesysCredentialsInput)
    return parsed


@dataclass(frozen=True)
class StoredVersion:
    """The live version of one credential: its data and Vault metadata."""

    kind: CredentialType
    credentials: StoredCredentials
    data: dict[str, Any]
    version: KvVersion


class CredentialService:
    """Stores and describes credentials; the only code that reads them back from Vault."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        vault: VaultClient,
        settings: VaultSettings,
        hasher: KeyHasher,
        numbers: PhoneNumberIndex,
    ) -> None:
        self._pool = pool
        self._numbers = numbers
        self._vault = vault
        self._prefix = settings.tenant_prefix.strip("/")
        self._hasher = hasher

    def path(self, tenant_id: str, kind: CredentialType) -> str:
        """The KV path (below the mount) of a tenant's credential of one type."""
        return f"{self._prefix}/{tenant_id}/{kind}"

    def fingerprint(self, data: dict[str, Any]) -> str:
        """A short keyed digest of the canonical JSON: same credential, same fingerprint."""
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return self._hasher.digest(canonical).hex()[:16]

    async def put(self, tenant_id: str, body: CredentialsWrite, actor: Actor) -> CredentialMeta:
        """Validate (stored form) and store a new version, unchecked; audit metadata only."""
        return await self.store(tenant_id, validate_credentials(body.type, body.credentials), actor)

    async def store(
        self,
        tenant_id: str,
        creds: StoredCredentials,
        actor: Actor,
        *,
        action: str = "credentials.write",
    ) -> CredentialMeta:
        """Store ``creds`` as a new version: the number is claimed first (Meta), then Vault."""
        kind: CredentialType = "meta" if isinstance(creds, MetaCredentials) else "genesys"
        data = creds.model_dump(mode="json", by_alias=True, exclude_none=True)
        async with tenant_tx(self._pool, tenant_id) as conn:
            status = await conn.fetchval(
                "SELECT status FROM tenants WHERE tenant_id = $1", tenant_id
            )
            if status is None or status == "deleted":
                raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
            if isinstance(creds, MetaCredentials):
                # Before Vault: a number another tenant owns must not get credentials at all.
                await self._numbers.claim(tenant_id, creds.phone_number_id, creds.waba_id)
            version = await self._vault.kv_write(self.path(tenant_id, kind), data)
            meta = self._meta(kind, data, version)
            await record(
                conn,
                actor,
                tenant_id=tenant_id,
                action=action,
                target=kind,
                details={"version": meta.version, "fingerprint": meta.fingerprint},
            )
        return meta

    async def restore(
        self, tenant_id: str, kind: CredentialType, previous: StoredVersion | None, actor: Actor
    ) -> None:
        """Undo a write whose vendor side failed: the previous data again, or nothing."""
        if previous is None:
            await self._vault.kv_delete_all(self.path(tenant_id, kind))
        else:
            await self._vault.kv_write(self.path(tenant_id, kind), previous.data)
        async with tenant_tx(self._pool, tenant_id) as conn:
            details = {"version": previous.version.version} if previous else {}
            await record(
                conn,
                actor,
                tenant_id=tenant_id,
                action="credentials.revert",
                target=kind,
                details=details,
            )

    async def remove(self, tenant_id: str, kind: CredentialType, actor: Actor) -> None:
        """Destroy every version of one type (and release the Meta number); audited."""
        stored = await self.current(tenant_id, kind)
        if stored is None:
            raise NotFoundError(f"tenant {tenant_id!r} has no {kind} credentials")
        await self._vault.kv_delete_all(self.path(tenant_id, kind))
        async with tenant_tx(self._pool, tenant_id) as conn:
            if isinstance(stored.credentials, MetaCredentials):
                await self._numbers.release(tenant_id, stored.credentials.phone_number_id)
            await record(conn, actor, tenant_id=tenant_id, action="credentials.remove", target=kind)

    async def describe(self, tenant_id: str) -> list[CredentialMeta]:
        """Metadata of each stored type (absent types are left out)."""
        found: list[CredentialMeta] = []
        for kind in CREDENTIAL_TYPES:
            stored = await self._vault.kv_read(self.path(tenant_id, kind))
            if stored is not None:
                found.append(self._meta(kind, stored[0], stored[1]))
        return found

    async def current(self, tenant_id: str, kind: CredentialType) -> StoredVersion | None:
        """The live version with its data and metadata (for onboarding and compensation)."""
        stored = await self._vault.kv_read(self.path(tenant_id, kind))
        if stored is None:
            return None
        data, version = stored
        return StoredVersion(kind, MODELS[kind].model_validate(data), data, version)

    async def read(self, tenant_id: str, kind: CredentialType) -> StoredCredentials | None:
        """The live credential, for the connectors (never for an HTTP response)."""
        stored = await self._vault.kv_read(self.path(tenant_id, kind))
        return MODELS[kind].model_validate(stored[0]) if stored else None

    async def purge(self, tenant_id: str) -> None:
        """Destroy every version of every type (tenant purge)."""
        for kind in CREDENTIAL_TYPES:
            await self._vault.kv_delete_all(self.path(tenant_id, kind))

    def meta_of(self, stored: StoredVersion) -> CredentialMeta:
        """The metadata of a stored version."""
        return self._meta(stored.kind, stored.data, stored.version)

    def _meta(
        self, kind: CredentialType, data: dict[str, Any], version: KvVersion
    ) -> CredentialMeta:
        return CredentialMeta(
            type=kind,
            version=version.version,
            updated_at=version.created_time,
            fingerprint=self.fingerprint(data),
        )
