"""Inbound media end to end: a real worker downloads the Meta simulator's file at ingest, and
the Genesys simulator gets an attachment link that the real gateway serves byte for byte.

The gateway runs in-process on a port reserved before the worker starts, because the
worker's ``WAGEN_MEDIA_PUBLIC_URL`` must name it; both share the link secret and the
throwaway database (the media store).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from connectors.sandbox.common import FailureRule
from connectors.sandbox.meta import create_meta_app
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig, StoredMedia
from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.db.scope import tenant_tx
from tests.conftest import free_port
from tests.integration.worker.harness import (
    PHONE_NUMBER_ID,
    GenesysSim,
    WorkerTenant,
    running_worker,
    worker_env,
)
from tests.integration.worker.test_forward_to_genesys import message_webhook, publish, received

ACCESS_TOKEN = "EAAG-worker-token"  # the worker_tenant fixture's Meta token
LINK_SECRET = "e2e-media-link-secret-0123456789abcdef"
MAX_BYTES = 200_000
PHOTO = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes + bytes(range(256)) * 300


@dataclass(frozen=True)
class MediaStack:
    """The Meta simulator's state and the gateway's base URL the links point at."""

    meta: MetaSandbox
    meta_url: str
    gateway_url: str


@pytest.fixture
async def media_stack(tenancy_settings: WagenSettings) -> AsyncIterator[MediaStack]:
    """The Meta simulator (the tenant's number) and the gateway on a reserved loopback port."""
    sandbox = MetaSandbox()
    number = NumberConfig(phone_number_id=PHONE_NUMBER_ID, access_token=ACCESS_TOKEN)
    meta = TestServer(create_meta_app(sandbox, numbers=(number,)), host="127.0.0.1")
    await meta.start_server()
    port, meta_url = free_port(), str(meta.make_url("")).rstrip("/")
    media = tenancy_settings.media.model_copy(update={"link_secret": SecretStr(LINK_SECRET)})
    settings = tenancy_settings.model_copy(update={"media": media})
    gateway = TestServer(create_app(settings), host="127.0.0.1", port=port)
    await gateway.start_server()
    try:
        yield MediaStack(sandbox, meta_url, f"http://127.0.0.1:{port}")
    finally:
        await gateway.close()
        await meta.close()


@pytest.fixture
async def media_worker(
    tenancy_settings: WagenSettings,
    genesys_sim: GenesysSim,
    media_stack: MediaStack,
    unique_name: str,
) -> AsyncIterator[subprocess.Popen[str]]:
    """A ``wagen worker`` whose Meta calls go to the simulator and links to the gateway."""
    env = {
        **worker_env(tenancy_settings, genesys_sim, unique_name),
        "WAGEN_META_GRAPH_URL": media_stack.meta_url,
        "WAGEN_META_RETRY_ATTEMPTS": "1",
        "WAGEN_MEDIA_PUBLIC_URL": media_stack.gateway_url,
        "WAGEN_MEDIA_LINK_SECRET": LINK_SECRET,
        "WAGEN_MEDIA_MAX_BYTES": str(MAX_BYTES),
    }
    async with running_worker(tenancy_settings, unique_name, env) as process:
        yield process


def media_webhook(wamid: str, kind: str, media: dict[str, str]) -> bytes:
    """A Meta webhook with one customer media message of ``kind`` (image, document...)."""
    return message_webhook({"id": wamid, "type": kind, kind: media})


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


async def test_an_inbound_photo_reaches_genesys_as_a_link_the_gateway_serves(
    media_worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    media_stack: MediaStack,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
) -> None:
    media_id = str(uuid.uuid4().int % 10**16)
    media_stack.meta.media[media_id] = StoredMedia(media_id, PHONE_NUMBER_ID, PHOTO, "image/jpeg")
    image = {"id": media_id, "mime_type": "image/jpeg", "sha256": b64_sha256(PHOTO)}
    wamid = f"wamid.img-{uuid.uuid4().hex}"

    await publish(
        producer,
        worker_tenant.tenant_id,
        media_webhook(wamid, "image", {**image, "caption": "box"}),
    )
    [message] = await received(genesys_sim, "message", 1, timeout_s=5.0)

    [content] = message["body"]["content"]
    attachment = content["attachment"]
    assert (attachment["mediaType"], attachment["mime"]) == ("Image", "image/jpeg")
    assert attachment["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert attachment["url"].startswith(f"{media_stack.gateway_url}/media/")
    assert message["body"]["text"] == "box"
    # Genesys fetches the link: the exact bytes, their type and length.
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        served = await response.read()
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Content-Length"] == str(len(PHOTO))
        assert response.headers["Cache-Control"].startswith("private")
    assert hashlib.sha256(served).hexdigest() == attachment["sha256"]
    assert served == PHOTO
    async with tenant_tx(pool, worker_tenant.tenant_id) as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM media_objects WHERE media_id = $1", media_id
        )
    assert stored == 1


async def test_a_transient_meta_failure_is_retried_and_a_lost_file_becomes_a_note(
    media_worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    media_stack: MediaStack,
    producer: AIOKafkaProducer,
) -> None:
    doc_id, gone_id, big_id = (str(uuid.uuid4().int % 10**16) for _ in range(3))
    sandbox = media_stack.meta
    sandbox.media[doc_id] = StoredMedia(doc_id, PHONE_NUMBER_ID, PHOTO, "application/pdf")
    sandbox.media[big_id] = StoredMedia(
        big_id, PHONE_NUMBER_ID, b"x" * (MAX_BYTES + 1), "video/mp4"
    )
    sandbox.failures.add(FailureRule(kind="server_error", operation="media_download", count=1))
    tenant = worker_tenant.tenant_id

    wamids = {kind: f"wamid.{kind}-{uuid.uuid4().hex}" for kind in ("document", "audio", "video")}
    document = {"id": doc_id, "mime_type": "application/pdf", "filename": "invoice.pdf"}
    await publish(producer, tenant, media_webhook(wamids["document"], "document", document))
    gone = {"id": gone_id, "mime_type": "audio/ogg"}
    await publish(producer, tenant, media_webhook(wamids["audio"], "audio", gone))
    big = {"id": big_id, "mime_type": "video/mp4", "caption": "look"}
    await publish(producer, tenant, media_webhook(wamids["video"], "video", big))
    messages = await received(genesys_sim, "message", 3, timeout_s=10.0)

    kind_of = {wamid: kind for kind, wamid in wamids.items()}
    by_kind = {kind_of[m["body"]["channel"]["messageId"]]: m["body"] for m in messages}
    assert set(by_kind) == {"document", "audio", "video"}, messages
    doc = by_kind["document"]["content"][0]["attachment"]
    assert doc["filename"] == "invoice.pdf"
    async with aiohttp.ClientSession() as session, session.get(doc["url"]) as response:
        assert await response.read() == PHOTO
        assert response.headers["Content-Type"] == "application/pdf"
    assert by_kind["audio"]["text"].startswith("[The customer sent an audio that could not be")
    assert "content" not in by_kind["audio"]
    assert by_kind["video"]["text"].startswith("look\n[The customer sent a video")
    assert "larger than" in by_kind["video"]["metadata"]["media_unavailable"]
    downloads = sandbox.requests.select({"operation": "media_download"})
    assert [d["status"] for d in downloads][:2] == [500, 200]
    await asyncio.sleep(1.0)
    assert len(await received(genesys_sim, "message", 4, timeout_s=0)) == 3
