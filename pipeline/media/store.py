"""The media store: where ingested bytes wait for Genesys to fetch them.

Shared by every gateway replica (any replica may receive Genesys's fetch) and written by
the worker. The store is a :class:`MediaStore` protocol so the backend is a setting;
:mod:`pipeline.media.postgres` is the default. Every call names its tenant, and a backend
must never return one tenant's file to a call naming another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """One media file of one tenant.

    Attributes:
        media_id: the WhatsApp media id (the key: a retried ingest rewrites the same file).
        data: the bytes, checked against Meta's sha256 before they were stored.
        mime_type: the MIME type Meta gave, served as ``Content-Type``.
        sha256_hex: hex SHA-256 of ``data`` (Genesys's spelling).
        expires_at: when retention ends and the purge may delete it.
        filename: the document's file name, when the customer's phone gave one.
    """

    media_id: str
    data: bytes = field(repr=False)
    mime_type: str
    sha256_hex: str
    expires_at: datetime
    filename: str | None = None

    @property
    def size(self) -> int:
        """Length of ``data`` in bytes."""
        return len(self.data)


class MediaStore(Protocol):
    """Keeps media files per tenant until their retention ends."""

    async def put(self, tenant_id: str, media: StoredMedia) -> None:
        """Store (or replace) ``media`` of ``tenant_id``."""
        ...

    async def get(self, tenant_id: str, media_id: str) -> StoredMedia | None:
        """The file, or ``None`` when unknown to this tenant or past its retention."""
        ...

    async def exists(self, tenant_id: str, media_id: str) -> bool:
        """Whether the file is stored and within retention (a retry need not download it)."""
        ...

    async def purge_expired(self, batch: int = 500) -> int:
        """Delete every file past its retention, in batches; return how many went."""
        ...
