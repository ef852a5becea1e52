"""Tenant API keys: ``wk_<prefix>_<secret>``, stored as an HMAC-SHA256 under a server pepper.

Why HMAC and not argon2: the secret is 256 random bits, so there is nothing for a slow hash
to protect against (no dictionary to try), while a slow hash would cost tens of
milliseconds of CPU on every API request. The pepper (``WAGEN_TENANCY_KEY_PEPPER``) lives
outside the database, so a stolen dump alone cannot even check a guess. The prefix is not
secret: it finds the row, then ``hmac.compare_digest`` checks the hash in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from pydantic import SecretStr

from tenancy.audit import Actor, record
from tenancy.db.scope import Connection, platform_tx, tenant_tx
from tenancy.errors import AuthenticationError, NotFoundError, TenantNotFoundError
from tenancy.models import ApiKeyInfo, CreatedApiKey

log = logging.getLogger(__name__)

_KEY_SHAPE = re.compile(r"^wk_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")


class KeyHasher:
    """Keyed hashing of API keys and fingerprints of credentials, under one pepper."""

    def __init__(self, pepper: SecretStr) -> None:
        self._pepper = pepper.get_secret_value().encode()

    def __repr__(self) -> str:
        return "KeyHasher(pepper=***)"

    def digest(self, text: str) -> bytes:
        """HMAC-SHA256 of ``text`` under the pepper."""
        return hmac.new(self._pepper, text.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key; ``text`` leaves the process once, in the create response."""

    prefix: str
    text: str


def generate_key() -> NewKey:
    """A new key: 48-bit lookup prefix, 256-bit secret (``token_urlsafe(32)``)."""
    prefix = secrets.token_hex(6)
    return NewKey(prefix=prefix, text=f"wk_{prefix}_{secrets.token_urlsafe(32)}")


def key_prefix(text: str) -> str | None:
    """The lookup prefix of a well-formed key, or None for anything else."""
    match = _KEY_SHAPE.match(text)
    return match["prefix"] if match else None


@dataclass(frozen=True)
class KeyOwner:
    """Who a valid key belongs to."""

    key_id: str
    prefix: str
    tenant_id: str


async def insert_key(
    conn: Connection, hasher: KeyHasher, tenant_id: str, name: str, actor: Actor
) -> CreatedApiKey:
    """Create a key inside the caller's transaction and audit it (prefix only)."""
    new = generate_key()
    row = await conn.fetchrow(
        "INSERT INTO tenant_api_keys (tenant_id, prefix, key_hash, name) "
        "VALUES ($1, $2, $3, $4) "
        "RETURNING key_id::text AS key_id, prefix, name, created_at, last_used_at, revoked_at",
        tenant_id,
        new.prefix,
        hasher.digest(new.text),
        name,
    )
    assert row is not None  # INSERT ... RETURNING always returns the row
    await record(
        conn,
        actor,
        tenant_id=tenant_id,
        action="api_key.create",
        target=new.prefix,
        details={"name": name},
    )
    return CreatedApiKey.model_validate({**dict(row), "key": new.text})


class ApiKeyService:
    """Create, list, revoke and authenticate keys; ``last_used_at`` is written in batches."""

    def __init__(self, pool: asyncpg.Pool, hasher: KeyHasher) -> None:
        self._pool = pool
        self._hasher = hasher
        self._last_used: dict[str, datetime] = {}

    async def create(self, tenant_id: str, name: str, actor: Actor) -> CreatedApiKey:
        """A new key for an existing, not deleted tenant, shown once."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            status = await conn.fetchval(
                "SELECT status FROM tenants WHERE tenant_id = $1", tenant_id
            )
            if status is None or status == "deleted":
                raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
            return await insert_key(conn, self._hasher, tenant_id, name, actor)

    async def list_keys(self, tenant_id: str) -> list[ApiKeyInfo]:
        """Every key of the tenant, revoked ones included (they show ``revokedAt``)."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT key_id::text AS key_id, prefix, name, created_at, last_used_at, revoked_at "
                "FROM tenant_api_keys WHERE tenant_id = $1 "
                "ORDER BY created_at, prefix",
                tenant_id,
            )
        return [ApiKeyInfo.model_validate(dict(r)) for r in rows]

    async def revoke(self, tenant_id: str, key_id: str, actor: Actor) -> ApiKeyInfo:
        """Revoke a key: it stops working at once (no cache to expire)."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "UPDATE tenant_api_keys SET is_active = false, "
                "revoked_at = coalesce(revoked_at, now()) "
                "WHERE tenant_id = $1 AND key_id::text = $2 "
                "RETURNING key_id::text AS key_id, prefix, name, created_at, last_used_at, "
                "revoked_at",
                tenant_id,
                key_id,
            )
            if row is None:
                raise NotFoundError(f"no API key {key_id!r}", tenant_id=tenant_id)
            await record(
                conn, actor, tenant_id=tenant_id, action="api_key.revoke", target=row["prefix"]
            )
        return ApiKeyInfo.model_validate(dict(row))

    async def authenticate(self, text: str) -> KeyOwner:
        """The owner of a valid, unrevoked key; ``AuthenticationError`` for anything else."""
        prefix = key_prefix(text)
        if prefix is None:
            raise AuthenticationError("malformed API key")
        # platform_tx: the tenant is what we are trying to find out.
        async with platform_tx(self._pool) as conn:
            row = await conn.fetchrow(
                "SELECT key_id::text AS key_id, tenant_id, key_hash FROM tenant_api_keys "
                "WHERE prefix = $1 AND revoked_at IS NULL AND is_active",
                prefix,
            )
        digest = self._hasher.digest(text)
        # Compare even when no row matched, so timing does not reveal which prefixes exist.
        expected = bytes(row["key_hash"]) if row is not None else bytes(len(digest))
        if not hmac.compare_digest(digest, expected) or row is None:
            raise AuthenticationError("unknown or revoked API key")
        self._last_used[row["key_id"]] = datetime.now(UTC)
        return KeyOwner(key_id=row["key_id"], prefix=prefix, tenant_id=row["tenant_id"])

    async def flush_last_used(self) -> int:
        """Write the pending last-used times in one statement; returns how many keys."""
        pending, self._last_used = self._last_used, {}
        if not pending:
            return 0
        async with platform_tx(self._pool) as conn:
            await conn.execute(
                "UPDATE tenant_api_keys AS k SET last_used_at = greatest(k.last_used_at, u.at) "
                "FROM unnest($1::text[], $2::timestamptz[]) AS u(key_id, at) "
                "WHERE k.key_id::text = u.key_id",
                list(pending),
                list(pending.values()),
            )
        return len(pending)

    async def run_flusher(self, interval_s: float) -> None:
        """Flush every ``interval_s`` until cancelled, then once more so nothing is lost."""
        try:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    await self.flush_last_used()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("api key last-used flush failed", extra={"error": str(exc)})
        finally:
            try:
                await asyncio.shield(self.flush_last_used())
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("api key last-used final flush failed", extra={"error": str(exc)})
