"""Tenant credentials for Meta and Genesys: validated by type, kept in Vault KV v2 only.

Path: ``<kv_mount>/<tenant_prefix>/<tenant_id>/<type>``; each write is a new KV version, so
rotation is a POST and older versions stay readable in Vault for rollback. PostgreSQL never
sees a credential; callers get metadata only: type, version, update time, and a fingerprint
(HMAC under the server pepper of the canonical JSON, truncated), which tells two versions
apart without being usable to test a guess offline.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import asyncpg
from pydantic import Field, ValidationError, ValidationInfo, field_validator

from connectors.genesys.regions import UnknownRegionError, region_domain
from tenancy.apikeys import KeyHasher
from tenancy.audit import Actor, record
from tenancy.db.scope import tenant_tx
from tenancy.errors import InvalidRequestError, TenantNotFoundError
from tenancy.models import ApiModel, CredentialMeta, CredentialsWrite
from tenancy.phone_numbers import PhoneNumberIndex
from tenancy.settings import VaultSettings
from tenancy.vault import KvVersion, VaultClient

CredentialType = Literal["meta", "genesys"]
CREDENTIAL_TYPES: tuple[CredentialType, ...] = ("meta", "genesys")
WRITING = "writing"
"""Validation context key set by :func:`validate_credentials` (checks for new values only)."""


class _Credentials(ApiModel):
    """Credentials as the admin API takes them: camelCase, immutable, nothing extra."""


class MetaCredentials(_Credentials):
    """A tenant's Meta app: signs webhooks (appSecret), answers the handshake, sends messages."""

    app_secret: str = Field(min_length=1, max_length=500)
    verify_token: str = Field(min_length=1, max_length=500)
    access_token: str = Field(min_length=1, max_length=4000)
    phone_number_id: str = Field(pattern=r"^[0-9]{1,30}$")
    waba_id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")


class GenesysCredentials(_Credentials):
    """A tenant's Genesys Cloud OAuth client and Open Messaging integration."""

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)
    region: str = Field(min_length=1, max_length=100)
    integration_id: str = Field(min_length=1, max_length=200)
    outbound_webhook_secret: str = Field(min_length=1, max_length=500)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str, info: ValidationInfo) -> str:
        """At write time, only a known region name (``eu-west-1``) or domain
        (``mypurecloud.ie``): the client secret is sent to that region's login host, so an
        arbitrary host must never be stored. Stored values are read back as they are (the
        worker refuses an unknown one when it resolves the hosts)."""
        if not (info.context or {}).get(WRITING):
            return value
        try:
            region_domain(value)
        except UnknownRegionError:
            raise ValueError(
                "not a Genesys Cloud region: give a region name such as eu-west-1 "
                "or its domain such as mypurecloud.ie"
            ) from None
        return value.strip().lower()


MODELS: dict[CredentialType, type[_Credentials]] = {
    "meta": MetaCredentials,
    "genesys": GenesysCredentials,
}


def validate_credentials(kind: CredentialType, data: dict[str, Any]) -> _Credentials:
    """Parse by type; errors name fields and problems, never the values given."""
    try:
        return MODELS[kind].model_validate(data, context={WRITING: True})
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        raise InvalidRequestError(f"invalid {kind} credentials", errors=list(errors)) from None


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
        """Validate and store a new version; audit it with metadata only."""
        creds = validate_credentials(body.type, body.credentials)
        data = creds.model_dump(by_alias=True, exclude_none=True)
        async with tenant_tx(self._pool, tenant_id) as conn:
            status = await conn.fetchval(
                "SELECT status FROM tenants WHERE tenant_id = $1", tenant_id
            )
            if status is None or status == "deleted":
                raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
            if isinstance(creds, MetaCredentials):
                # Before Vault: a number another tenant owns must not get credentials at all.
                await self._numbers.claim(tenant_id, creds.phone_number_id, creds.waba_id)
            version = await self._vault.kv_write(self.path(tenant_id, body.type), data)
            meta = self._meta(body.type, data, version)
            await record(
                conn,
                actor,
                tenant_id=tenant_id,
                action="credentials.write",
                target=body.type,
                details={"version": meta.version, "fingerprint": meta.fingerprint},
            )
        return meta

    async def describe(self, tenant_id: str) -> list[CredentialMeta]:
        """Metadata of each stored type (absent types are left out)."""
        found: list[CredentialMeta] = []
        for kind in CREDENTIAL_TYPES:
            stored = await self._vault.kv_read(self.path(tenant_id, kind))
            if stored is not None:
                found.append(self._meta(kind, stored[0], stored[1]))
        return found

    async def read(self, tenant_id: str, kind: CredentialType) -> _Credentials | None:
        """The live credential, for the connectors (never for an HTTP response)."""
        stored = await self._vault.kv_read(self.path(tenant_id, kind))
        return MODELS[kind].model_validate(stored[0]) if stored else None

    async def purge(self, tenant_id: str) -> None:
        """Destroy every version of every type (tenant purge)."""
        for kind in CREDENTIAL_TYPES:
            await self._vault.kv_delete_all(self.path(tenant_id, kind))

    def _meta(
        self, kind: CredentialType, data: dict[str, Any], version: KvVersion
    ) -> CredentialMeta:
        return CredentialMeta(
            type=kind,
            version=version.version,
            updated_at=version.created_time,
            fingerprint=self.fingerprint(data),
        )
