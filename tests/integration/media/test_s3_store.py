"""The S3 media store against a real S3-compatible server (moto, SigV4 checked)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.media.backend import open_s3_media_store
from pipeline.media.errors import MediaStoreError
from pipeline.media.s3 import S3MediaStore
from pipeline.media.sigv4 import AwsCredentials
from pipeline.media.store import StoredMedia
from pipeline.settings import WagenSettings
from tenancy.platform import PlatformSecrets
from tenancy.vault import VaultClient
from tests.integration.media.s3_server import (
    S3Server,
    platform_vault,
    raw_bucket,
    s3_media_settings,
)

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


def media(
    media_id: str,
    data: bytes = PHOTO,
    *,
    ttl: timedelta = timedelta(days=7),
    filename: str | None = "Straße box.jpg",
) -> StoredMedia:
    return StoredMedia(
        media_id=media_id,
        data=data,
        mime_type="image/jpeg",
        sha256_hex=hashlib.sha256(data).hexdigest(),
        expires_at=datetime.now(UTC) + ttl,
        filename=filename,
    )


async def test_round_trip_keeps_bytes_type_and_metadata(s3_store: S3MediaStore) -> None:
    stored = media("1479537139650973")
    await s3_store.put("media-a", stored)

    got = await s3_store.get("media-a", "1479537139650973")
    assert got is not None
    assert (got.media_id, got.data, got.mime_type) == ("1479537139650973", PHOTO, "image/jpeg")
    assert got.sha256_hex == hashlib.sha256(PHOTO).hexdigest()
    assert got.filename == "Straße box.jpg"
    assert abs(got.expires_at - stored.expires_at) < timedelta(seconds=1)
    assert await s3_store.exists("media-a", "1479537139650973")

    await s3_store.put("media-a", media("no-name", b"%PDF-1.7", filename=None))
    unnamed = await s3_store.get("media-a", "no-name")
    assert unnamed is not None
    assert (unnamed.data, unnamed.filename) == (b"%PDF-1.7", None)


async def test_tenant_b_cannot_read_a_s_media_by_its_id(
    s3_store: S3MediaStore, s3_server: S3Server, unique_name: str
) -> None:
    await s3_store.put("media-a", media("1479537139650973"))

    assert await s3_store.get("media-b", "1479537139650973") is None
    assert not await s3_store.exists("media-b", "1479537139650973")
    # Ids that would step out of their own key segment never reach the bucket.
    for sneaky in ("../media-a/1479537139650973", "media-a/1479537139650973", ".."):
        assert await s3_store.get("media-b", sneaky) is None
    with pytest.raises(ValueError, match="object key"):
        await s3_store.put("media-b", media("../media-a/1479537139650973"))
    assert s3_store.key("media-a", "42") == f"media/{unique_name}/media-a/42"

    # An object under B's key that was written for A (by hand, not by the store) is refused.
    async with raw_bucket(s3_server) as raw:
        foreign = await raw.get(s3_store.key("media-a", "1479537139650973"))
        assert foreign is not None
        kept = {
            name: value
            for name, value in foreign.headers.items()
            if name.lower() == "content-type" or name.lower().startswith("x-amz-meta-")
        }
        await raw.put(s3_store.key("media-b", "copied"), foreign.data, kept)
    assert await s3_store.get("media-b", "copied") is None


async def test_missing_and_expired_media_read_as_none_like_postgres(
    s3_store: S3MediaStore,
) -> None:
    assert await s3_store.get("media-a", "never-stored") is None
    assert not await s3_store.exists("media-a", "never-stored")
    await s3_store.put("media-a", media("old", ttl=timedelta(seconds=-1)))
    assert await s3_store.get("media-a", "old") is None
    assert not await s3_store.exists("media-a", "old")


async def test_purge_removes_objects_past_retention_only(
    s3_server: S3Server, s3_platform: PlatformSecrets, unique_name: str
) -> None:
    settings = s3_media_settings(s3_server, f"media/{unique_name}", retention_s=3600.0)
    prefix = settings.s3_prefix
    async with open_s3_media_store(settings, s3_platform) as store:
        for n in range(3):
            await store.put("media-a", media(f"old-a{n}"))
        await store.put("media-b", media("old-b"))
        async with raw_bucket(s3_server) as raw:
            # Not of the store's key shape: the purge leaves it alone, however old.
            await raw.put(f"{prefix}/notes.txt", b"operator's note", {})
        # S3 keeps write times to the second: the cut-off falls strictly between the writes.
        cutoff = datetime.now(UTC) + timedelta(seconds=1.1)
        await asyncio.sleep(2.2)
        await store.put("media-a", media("fresh"))
        assert await store.purge_expired(batch=2) == 0  # nothing is an hour old yet

    async with raw_bucket(s3_server) as raw:
        an_hour_later = cutoff + timedelta(seconds=3600)
        future = S3MediaStore(raw, prefix=prefix, retention_s=3600.0, clock=lambda: an_hour_later)
        assert await future.purge_expired(batch=2) == 4
        left, _ = await raw.list_page(f"{prefix}/")
        assert sorted(o.key for o in left) == [
            future.key("media-a", "fresh"),
            f"{prefix}/notes.txt",
        ]
        assert await future.purge_expired() == 0


async def test_refused_or_missing_credentials_fail_retriably(
    s3_server: S3Server, settings: WagenSettings, unique_name: str
) -> None:
    wrong = AwsCredentials(s3_server.credentials.access_key_id, "not-the-secret")
    async with raw_bucket(s3_server, wrong) as raw:
        store = S3MediaStore(raw, prefix=f"media/{unique_name}", retention_s=60.0)
        with pytest.raises(MediaStoreError, match="SignatureDoesNotMatch") as refused:
            await store.get("media-a", "1")
    assert refused.value.retriable

    vault_settings = platform_vault(settings, unique_name)
    vault = VaultClient(vault_settings)
    try:
        empty = PlatformSecrets(vault, vault_settings)
        media_settings = s3_media_settings(s3_server, f"media/{unique_name}")
        async with open_s3_media_store(media_settings, empty) as store:
            with pytest.raises(MediaStoreError, match="no S3 credentials in Vault"):
                await store.exists("media-a", "1")
    finally:
        vault.close()
