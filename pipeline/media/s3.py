"""The S3 media store: one object per file, at ``<prefix>/<tenant_id>/<media_id>``.

For deployments that keep PostgreSQL small, or already run an object store (AWS S3, MinIO,
Ceph RGW...): ``WAGEN_MEDIA_BACKEND=s3`` and the ``WAGEN_MEDIA_S3_*`` settings, with the
access key in Vault (``wagen media s3-credentials set``).

Isolation holds by construction: every key is built here from the tenant the call names
and a media id that must be one plain path segment, so no id can reach another tenant's
keys; the tenant is kept in the object's metadata too and checked again on every read.

Each object carries its type as ``Content-Type`` and wagen's facts as ``x-amz-meta-*``:
the tenant, the sha256 (checked on read), the file name (percent-encoded UTF-8, as S3
metadata is ASCII), when it was stored and when its retention ends.

Retention: a read refuses an object past its ``expires-at`` at once. The purge (the
gateway's timer, as for PostgreSQL) lists the prefix and deletes, in DeleteObjects batches,
every object last written more than ``retention_s`` ago: the listing carries each object's
write time, so no per-object HEAD is needed. A retried put overwrites the same bytes and
restarts the clock. A bucket lifecycle rule expiring the prefix a day after the retention
does the same inside the store, at no request cost, and is recommended as well (README).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote, unquote

from multidict import CIMultiDictProxy

from pipeline.media.errors import MediaStoreError
from pipeline.media.s3_client import MAX_DELETE, S3Bucket
from pipeline.media.store import StoredMedia
from tenancy.models import TENANT_ID_PATTERN

log = logging.getLogger(__name__)

_TENANT: Final = re.compile(TENANT_ID_PATTERN)
_MEDIA_ID: Final = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$")
"""One path segment, no leading dot (so never ``.`` or ``..``): WhatsApp ids are digits."""

_META: Final = "x-amz-meta-"


def _parse_time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


class S3MediaStore:
    """:class:`~pipeline.media.store.MediaStore` over an open :class:`S3Bucket`."""

    def __init__(
        self,
        bucket: S3Bucket,
        *,
        prefix: str,
        retention_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._bucket = bucket
        self._root = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self._retention = timedelta(seconds=retention_s)
        self._clock = clock

    def key(self, tenant_id: str, media_id: str) -> str:
        """The object key of a tenant's file.

        Raises:
            ValueError: an id that could leave its own path segment.
        """
        if not _TENANT.match(tenant_id) or not _MEDIA_ID.match(media_id):
            raise ValueError("not a valid tenant id and media id pair for an object key")
        return f"{self._root}{tenant_id}/{media_id}"

    def _is_ours(self, key: str) -> bool:
        # Only keys of the shape we write are purged: anything else under the prefix stays.
        parts = key.removeprefix(self._root).split("/")
        return (
            key.startswith(self._root)
            and len(parts) == 2
            and bool(_TENANT.match(parts[0]) and _MEDIA_ID.match(parts[1]))
        )

    async def put(self, tenant_id: str, media: StoredMedia) -> None:
        """Write the file and its metadata (a retried ingest overwrites the same bytes)."""
        headers = {
            "Content-Type": media.mime_type,
            f"{_META}tenant": tenant_id,
            f"{_META}sha256": media.sha256_hex,
            f"{_META}stored-at": self._clock().isoformat(),
            f"{_META}expires-at": media.expires_at.isoformat(),
        }
        if media.filename is not None:
            headers[f"{_META}filename"] = quote(media.filename, safe="")
        await self._bucket.put(self.key(tenant_id, media.media_id), media.data, headers)

    async def get(self, tenant_id: str, media_id: str) -> StoredMedia | None:
        """The file, if this tenant has it and it is within retention."""
        try:
            key = self.key(tenant_id, media_id)
        except ValueError:
            return None  # no such key can exist
        found = await self._bucket.get(key)
        expires_at = None if found is None else self._expiry(tenant_id, key, found.headers)
        if found is None or expires_at is None:
            return None
        sha256_hex = found.headers[f"{_META}sha256"]
        if hashlib.sha256(found.data).hexdigest() != sha256_hex:
            raise MediaStoreError(f"stored media {key!r} does not match its sha256")
        filename = found.headers.get(f"{_META}filename")
        return StoredMedia(
            media_id=media_id,
            data=found.data,
            mime_type=found.headers.get("Content-Type", "application/octet-stream"),
            sha256_hex=sha256_hex,
            expires_at=expires_at,
            filename=unquote(filename) if filename is not None else None,
        )

    async def exists(self, tenant_id: str, media_id: str) -> bool:
        """Whether this tenant has the file within retention (a HEAD: no bytes read)."""
        try:
            key = self.key(tenant_id, media_id)
        except ValueError:
            return False
        headers = await self._bucket.head(key)
        return headers is not None and self._expiry(tenant_id, key, headers) is not None

    def _expiry(self, tenant_id: str, key: str, headers: CIMultiDictProxy[str]) -> datetime | None:
        """The object's expiry if this tenant may read it now, else ``None``."""
        if headers.get(f"{_META}tenant") != tenant_id or f"{_META}sha256" not in headers:
            # Not written by this store for this tenant: never served, whatever its key.
            log.warning("S3 object without wagen's metadata", extra={"key": key})
            return None
        expires_at = _parse_time(headers.get(f"{_META}expires-at"))
        return expires_at if expires_at is not None and expires_at > self._clock() else None

    async def purge_expired(self, batch: int = 500) -> int:
        """Delete every object written more than ``retention_s`` ago, ``batch`` per call.

        Several replicas purging at once only repeat deletes, which S3 answers as done.
        """
        size = min(max(batch, 1), MAX_DELETE)
        cutoff = self._clock() - self._retention
        pending: list[str] = []
        total = 0
        token: str | None = None
        while True:
            page, token = await self._bucket.list_page(self._root, token)
            pending += [o.key for o in page if o.last_modified <= cutoff and self._is_ours(o.key)]
            while len(pending) >= size:
                await self._bucket.delete(pending[:size])
                total += size
                pending = pending[size:]
            if token is None:
                break
        if pending:
            await self._bucket.delete(pending)
            total += len(pending)
        return total
