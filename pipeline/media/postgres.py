"""The default media store: ``media_objects`` in PostgreSQL (migration ``0007_media``).

PostgreSQL is already shared by every replica and backed up, so small deployments need no
object store. Reads and writes run in :func:`~tenancy.db.scope.tenant_tx`, so row-level
security refuses another tenant's row even to a query that names its media id; only the
retention purge crosses tenants, through the platform scope. Rows past ``expires_at`` are
invisible to reads at once, whenever the purge gets to them.
"""

from __future__ import annotations

import asyncpg

from pipeline.media.store import StoredMedia
from tenancy.db.scope import platform_tx, tenant_tx


class PostgresMediaStore:
    """:class:`~pipeline.media.store.MediaStore` over the process's asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def put(self, tenant_id: str, media: StoredMedia) -> None:
        """Insert the file, or replace it with the newer download (same bytes in practice)."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            await conn.execute(
                "INSERT INTO media_objects "
                "(tenant_id, media_id, mime_type, sha256, size_bytes, filename, data, expires_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (tenant_id, media_id) DO UPDATE SET "
                "mime_type = EXCLUDED.mime_type, sha256 = EXCLUDED.sha256, "
                "size_bytes = EXCLUDED.size_bytes, filename = EXCLUDED.filename, "
                "data = EXCLUDED.data, "
                "expires_at = greatest(media_objects.expires_at, EXCLUDED.expires_at)",
                tenant_id,
                media.media_id,
                media.mime_type,
                media.sha256_hex,
                media.size,
                media.filename,
                media.data,
                media.expires_at,
            )

    async def get(self, tenant_id: str, media_id: str) -> StoredMedia | None:
        """The file, if this tenant has it and it is within retention."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "SELECT media_id, data, mime_type, sha256, expires_at, filename "
                "FROM media_objects "
                "WHERE tenant_id = $1 AND media_id = $2 AND expires_at > now()",
                tenant_id,
                media_id,
            )
        if row is None:
            return None
        return StoredMedia(
            media_id=row["media_id"],
            data=bytes(row["data"]),
            mime_type=row["mime_type"],
            sha256_hex=row["sha256"],
            expires_at=row["expires_at"],
            filename=row["filename"],
        )

    async def exists(self, tenant_id: str, media_id: str) -> bool:
        """Whether this tenant has the file within retention (without reading the bytes)."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            found = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM media_objects "
                "WHERE tenant_id = $1 AND media_id = $2 AND expires_at > now())",
                tenant_id,
                media_id,
            )
        return bool(found)

    async def purge_expired(self, batch: int = 500) -> int:
        """Delete expired rows of every tenant, ``batch`` per transaction.

        Short transactions keep row locks and WAL bursts small however much has expired,
        and several replicas purging at once only share the work (``SKIP LOCKED``).
        """
        total = 0
        while True:
            async with platform_tx(self._pool) as conn:
                status = await conn.execute(
                    "DELETE FROM media_objects WHERE ctid IN ("
                    "SELECT ctid FROM media_objects WHERE expires_at <= now() "
                    "ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)",
                    batch,
                )
            deleted = int(status.rsplit(" ", 1)[-1])
            total += deleted
            if deleted < batch:
                return total
