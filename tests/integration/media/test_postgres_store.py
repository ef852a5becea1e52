"""The PostgreSQL media store on the real database, as the app role (row-level security on)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from pipeline.media.postgres import PostgresMediaStore
from pipeline.media.store import StoredMedia
from tenancy.audit import Actor
from tenancy.db.scope import platform_tx, tenant_tx
from tenancy.models import TenantCreate
from tenancy.services import Tenancy

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


def media(media_id: str, data: bytes = PHOTO, *, ttl: timedelta = timedelta(days=7)) -> StoredMedia:
    return StoredMedia(
        media_id=media_id,
        data=data,
        mime_type="image/jpeg",
        sha256_hex=hashlib.sha256(data).hexdigest(),
        expires_at=datetime.now(UTC) + ttl,
        filename="box.jpg",
    )


async def two_tenants(tenancy: Tenancy, admin: Actor) -> None:
    for tenant in ("media-a", "media-b"):
        await tenancy.tenants.create(TenantCreate(tenant_id=tenant, name=tenant), admin)


async def test_round_trip_and_tenant_b_cannot_read_a_s_media_by_its_id(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    store = PostgresMediaStore(pool)
    await store.put("media-a", media("1479537139650973"))

    got = await store.get("media-a", "1479537139650973")
    assert got is not None
    assert (got.data, got.mime_type, got.filename) == (PHOTO, "image/jpeg", "box.jpg")
    assert got.sha256_hex == hashlib.sha256(PHOTO).hexdigest()
    assert await store.exists("media-a", "1479537139650973")

    # Tenant B knows the id: the store, and even a raw query without a tenant filter, see nothing.
    assert await store.get("media-b", "1479537139650973") is None
    assert not await store.exists("media-b", "1479537139650973")
    async with tenant_tx(pool, "media-b") as conn:
        assert await conn.fetchval("SELECT count(*) FROM media_objects") == 0
    async with pool.acquire() as conn:  # neither scope set: nothing either
        assert await conn.fetchval("SELECT count(*) FROM media_objects") == 0
    async with platform_tx(pool) as conn:
        assert await conn.fetchval("SELECT count(*) FROM media_objects") == 1


async def test_a_tenant_cannot_write_rows_of_another(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with tenant_tx(pool, "media-b") as conn:
            await conn.execute(
                "INSERT INTO media_objects (tenant_id, media_id, mime_type, sha256, size_bytes, "
                "data, expires_at) VALUES ('media-a', '1', 'image/jpeg', $1, 1, 'x', now())",
                "0" * 64,
            )


async def test_a_retried_put_keeps_one_row_and_the_later_expiry(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    store = PostgresMediaStore(pool)
    await store.put("media-a", media("42", ttl=timedelta(days=7)))
    await store.put("media-a", media("42", ttl=timedelta(days=1)))
    async with tenant_tx(pool, "media-a") as conn:
        rows = await conn.fetch("SELECT expires_at FROM media_objects")
    assert len(rows) == 1
    assert rows[0]["expires_at"] > datetime.now(UTC) + timedelta(days=6)


async def test_expired_media_is_invisible_at_once_and_purged_in_batches(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    store = PostgresMediaStore(pool)
    for n in range(3):
        await store.put("media-a", media(f"old-a{n}", ttl=timedelta(seconds=-1)))
    await store.put("media-b", media("old-b", ttl=timedelta(seconds=-1)))
    await store.put("media-a", media("fresh"))

    assert await store.get("media-a", "old-a0") is None
    assert not await store.exists("media-a", "old-a0")
    assert await store.purge_expired(batch=2) == 4
    async with platform_tx(pool) as conn:
        left = await conn.fetch("SELECT tenant_id, media_id FROM media_objects")
    assert [(r["tenant_id"], r["media_id"]) for r in left] == [("media-a", "fresh")]
    assert await store.purge_expired() == 0
