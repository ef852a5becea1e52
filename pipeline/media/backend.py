"""Builds the media store the settings name, over the process's shared clients."""

from __future__ import annotations

import asyncpg

from pipeline.media.postgres import PostgresMediaStore
from pipeline.media.store import MediaStore
from pipeline.settings import MediaSettings


def media_store(settings: MediaSettings, pool: asyncpg.Pool) -> MediaStore:
    """The store of ``settings.backend`` (PostgreSQL, through the process's pool)."""
    if settings.backend == "postgres":
        return PostgresMediaStore(pool)
    # Unreachable while the setting admits one value; a new backend must be wired here.
    raise ValueError(f"unknown media backend {settings.backend!r}")
