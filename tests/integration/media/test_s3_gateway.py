"""The gateway with ``WAGEN_MEDIA_BACKEND=s3``: ``GET /media/{token}`` serves bytes kept in S3,
and the gateway's purge timer empties the bucket prefix once retention ends."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from pipeline.gateway.app import create_app
from pipeline.media.backend import open_s3_media_store
from pipeline.media.links import MediaLinkSigner
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
from tests.integration.tenancy.conftest import Client

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 100

GatewayFactory = Callable[..., AbstractAsyncContextManager[tuple[Client, WagenSettings]]]


@pytest.fixture
def s3_gateway(
    tenancy_settings: WagenSettings,
    redis: Redis,
    vault: VaultClient,
    s3_server: S3Server,
    s3_platform: PlatformSecrets,
    unique_name: str,
) -> GatewayFactory:
    """Starts the real gateway app with the S3 backend (media settings may be changed)."""

    @asynccontextmanager
    async def start(**media: object) -> AsyncIterator[tuple[Client, WagenSettings]]:
        settings = tenancy_settings.model_copy(
            update={
                "media": s3_media_settings(s3_server, f"media/{unique_name}", **media),
                "vault": platform_vault(tenancy_settings, unique_name),
            }
        )
        client: Client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            yield client, settings
        finally:
            await client.close()

    return start


def pdf(media_id: str) -> StoredMedia:
    return StoredMedia(
        media_id=media_id,
        data=PDF,
        mime_type="application/pdf",
        sha256_hex=hashlib.sha256(PDF).hexdigest(),
        expires_at=datetime.now(UTC) + timedelta(days=1),
        filename="invoice März.pdf",
    )


async def test_a_signed_link_serves_the_bytes_kept_in_s3(
    s3_gateway: GatewayFactory, s3_platform: PlatformSecrets
) -> None:
    async with s3_gateway() as (client, settings):
        async with open_s3_media_store(settings.media, s3_platform) as store:
            await store.put("route-a", pdf("doc-1"))
        signer = MediaLinkSigner(settings.media.link_secret)

        response = await client.get(f"/media/{signer.sign('route-a', 'doc-1', ttl_s=600)}")
        body = await response.read()
        assert response.status == 200
        assert body == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
        assert "invoice" in response.headers["Content-Disposition"]

        # Tenant B's valid token naming A's media id, and an id never stored: the same 404.
        for tenant, media_id in (("route-b", "doc-1"), ("route-a", "doc-2")):
            refused = await client.get(f"/media/{signer.sign(tenant, media_id, ttl_s=600)}")
            assert refused.status == 404


async def test_the_gateway_purge_timer_empties_the_prefix_after_retention(
    s3_gateway: GatewayFactory, s3_platform: PlatformSecrets, s3_server: S3Server
) -> None:
    # Retention of one second, purged every half second by the gateway's own timer.
    changes = {"link_ttl_s": 1.0, "retention_s": 1.0, "purge_interval_s": 0.5}
    async with (
        s3_gateway(**changes) as (_, settings),
        open_s3_media_store(settings.media, s3_platform) as store,
    ):
        await store.put("route-a", pdf("doc-1"))  # its metadata says a day: only a purge
        async with asyncio.timeout(30):  # removes it this soon
            while True:
                if not await store.exists("route-a", "doc-1"):
                    break
                await asyncio.sleep(0.5)
    async with raw_bucket(s3_server) as raw:
        assert await raw.list_page(f"{settings.media.s3_prefix}/") == ([], None)
