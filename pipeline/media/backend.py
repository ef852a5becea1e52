"""Opens the media store the settings name, over the process's shared clients.

A context manager, because a backend may own a client of its own (S3: an HTTP session)
that the process closes with its other clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pipeline.media.postgres import PostgresMediaStore
from pipeline.media.s3 import S3MediaStore
from pipeline.media.s3_client import BucketLocation, S3Bucket
from pipeline.media.sigv4 import AwsCredentials
from pipeline.media.store import MediaStore
from pipeline.runtime.resources import Resources
from pipeline.settings import MediaSettings, WagenSettings
from tenancy.platform import PlatformSecrets


@asynccontextmanager
async def open_media_store(
    settings: WagenSettings, resources: Resources
) -> AsyncIterator[MediaStore]:
    """The store of ``settings.media.backend``, closed on exit."""
    if settings.media.backend == "postgres":
        yield PostgresMediaStore(resources.postgres)
        return
    platform = PlatformSecrets(resources.vault, settings.vault)
    async with open_s3_media_store(settings.media, platform) as store:
        yield store


@asynccontextmanager
async def open_s3_media_store(
    settings: MediaSettings, platform: PlatformSecrets
) -> AsyncIterator[S3MediaStore]:
    """The S3 store of ``settings``, its access key read from Vault when first needed.

    Read lazily (and again every few minutes, or after a 403) so the process starts while
    Vault is down or before the key is set, and picks up a rotated key by itself.
    """

    async def credentials() -> AwsCredentials | None:
        stored = await platform.media_s3_credentials()
        if stored is None:
            return None
        key = stored[0]
        return AwsCredentials(key.access_key_id, key.secret_access_key)

    location = BucketLocation(
        endpoint=settings.s3_endpoint,
        region=settings.s3_region,
        bucket=settings.s3_bucket,
        path_style=settings.s3_path_style,
    )
    async with S3Bucket(location, credentials, timeout_s=settings.s3_timeout_s) as bucket:
        yield S3MediaStore(bucket, prefix=settings.s3_prefix, retention_s=settings.retention_s)
