"""Inbound media end to end on the S3 backend: a real ``wagen worker`` stores the Meta
simulator's file in S3 (moto), and the real gateway serves the link Genesys gets from there.

The S3 twin of ``tests/integration/worker/test_inbound_media.py`` (PostgreSQL): the worker
and the gateway both read the S3 key from Vault, and nothing lands in ``media_objects``.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import uuid
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from connectors.sandbox.meta_state import StoredMedia
from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.db.scope import platform_tx
from tenancy.platform import PlatformSecrets
from tests.conftest import free_port
from tests.integration.media.s3_server import (
    BUCKET,
    S3Server,
    platform_vault,
    raw_bucket,
    s3_media_settings,
)
from tests.integration.worker.harness import (
    PHONE_NUMBER_ID,
    GenesysSim,
    MetaSim,
    WorkerTenant,
    running_worker,
    worker_env,
)
from tests.integration.worker.test_forward_to_genesys import message_webhook, publish, received

LINK_SECRET = "e2e-s3-media-link-secret-0123456789abcdef"
PHOTO = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes + bytes(range(256)) * 300


@pytest.fixture
async def s3_gateway_url(
    tenancy_settings: WagenSettings,
    s3_server: S3Server,
    s3_platform: PlatformSecrets,
    unique_name: str,
) -> AsyncIterator[str]:
    """The real gateway, S3 backend, on a loopback port reserved for the worker's links."""
    media = s3_media_settings(s3_server, f"media/{unique_name}", link_secret=SecretStr(LINK_SECRET))
    settings = tenancy_settings.model_copy(
        update={"media": media, "vault": platform_vault(tenancy_settings, unique_name)}
    )
    port = free_port()
    gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
    await gateway.start_server()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await gateway.close()


@pytest.fixture
async def s3_worker(
    tenancy_settings: WagenSettings,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    s3_server: S3Server,
    s3_platform: PlatformSecrets,
    s3_gateway_url: str,
    unique_name: str,
) -> AsyncIterator[subprocess.Popen[str]]:
    """A ``wagen worker`` with ``WAGEN_MEDIA_BACKEND=s3``; stopped with SIGTERM."""
    env = {
        **worker_env(tenancy_settings, genesys_sim, unique_name, meta_sim),
        "WAGEN_VAULT_PLATFORM_PREFIX": platform_vault(
            tenancy_settings, unique_name
        ).platform_prefix,
        "WAGEN_MEDIA_BACKEND": "s3",
        "WAGEN_MEDIA_S3_ENDPOINT_URL": s3_server.endpoint,
        "WAGEN_MEDIA_S3_BUCKET": BUCKET,
        "WAGEN_MEDIA_S3_PREFIX": f"media/{unique_name}",
        "WAGEN_MEDIA_S3_PATH_STYLE": "true",
        "WAGEN_MEDIA_PUBLIC_URL": s3_gateway_url,
        "WAGEN_MEDIA_LINK_SECRET": LINK_SECRET,
    }
    async with running_worker(tenancy_settings, unique_name, env) as process:
        yield process


async def test_an_inbound_photo_is_kept_in_s3_and_served_by_the_gateway(
    s3_worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    s3_server: S3Server,
    s3_gateway_url: str,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    unique_name: str,
) -> None:
    media_id = str(uuid.uuid4().int % 10**16)
    meta_sim.sandbox.media[media_id] = StoredMedia(media_id, PHONE_NUMBER_ID, PHOTO, "image/jpeg")
    sha256 = base64.b64encode(hashlib.sha256(PHOTO).digest()).decode()
    image = {"id": media_id, "mime_type": "image/jpeg", "sha256": sha256}
    webhook = message_webhook(
        {"id": f"wamid.s3-{uuid.uuid4().hex}", "type": "image", "image": image}
    )

    await publish(producer, worker_tenant.tenant_id, webhook)
    [message] = await received(genesys_sim, "message", 1, timeout_s=15.0)

    [content] = message["body"]["content"]
    url = content["attachment"]["url"]
    assert url.startswith(f"{s3_gateway_url}/media/")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        served = await response.read()
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
    assert served == PHOTO

    # The file is one object under the tenant's key, and not a row in PostgreSQL.
    async with raw_bucket(s3_server) as raw:
        listed, _ = await raw.list_page(f"media/{unique_name}/")
    assert [o.key for o in listed] == [f"media/{unique_name}/{worker_tenant.tenant_id}/{media_id}"]
    async with platform_tx(pool) as conn:
        assert await conn.fetchval("SELECT count(*) FROM media_objects") == 0
