"""Media at ingest: the Meta simulator's file → the PostgreSQL store → a signed link.

Real pieces throughout: the Meta simulator on a loopback port, the tenant's token from
Vault through the worker's cache, the store on the throwaway database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from connectors.meta.errors import MetaRetryableError
from connectors.meta.webhook import split_webhook
from connectors.sandbox.common import FailureRule
from connectors.sandbox.meta import create_meta_app
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig, StoredMedia
from connectors.settings import MetaClientSettings
from connectors.translate import GenesysTarget, event_to_genesys
from pipeline.media.ingest import MediaIngest
from pipeline.media.links import MediaLinkSigner
from pipeline.media.postgres import PostgresMediaStore
from pipeline.settings import MediaSettings
from pipeline.worker.errors import CredentialsMissingError
from pipeline.worker.meta_auth import MetaAuthDirectory
from schemas.events import MessageReceived
from schemas.genesys import OpenInboundNormalizedMessage
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import Tenancy

PHONE = "1122334455667"
TOKEN = "EAAG-media-token"
SECRET = SecretStr("integration-media-secret-0123456789")
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64
SETTINGS = MediaSettings(public_url="https://wagen.example/", link_secret=SECRET, max_bytes=100_000)


@pytest.fixture
async def meta() -> AsyncIterator[tuple[MetaSandbox, MetaClient]]:
    """The Meta simulator with the tenant's number, and a client pointed at it."""
    sandbox = MetaSandbox()
    app = create_meta_app(
        sandbox, numbers=(NumberConfig(phone_number_id=PHONE, access_token=TOKEN),)
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    transport = HttpTransport()
    await transport.start()
    url = str(server.make_url("")).rstrip("/")
    try:
        yield sandbox, MetaClient(transport, MetaClientSettings(graph_url=url, retry_attempts=1))
    finally:
        await transport.stop()
        await server.close()


async def tenant_with_meta(tenancy: Tenancy, admin: Actor, tenant_id: str) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id=tenant_id, name=tenant_id), admin)
    meta = {
        "appSecret": "app-secret",
        "verifyToken": "verify",
        "accessToken": TOKEN,
        "phoneNumberId": PHONE,
    }
    await tenancy.credentials.put(tenant_id, CredentialsWrite(type="meta", credentials=meta), admin)


def image_event(tenant_id: str, media_id: str, data: bytes) -> MessageReceived:
    image = {
        "id": media_id,
        "mime_type": "image/jpeg",
        "sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "caption": "the box",
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": "972987654321"}],
        "messages": [
            {
                "from": "972987654321",
                "id": f"wamid.{media_id}",
                "timestamp": str(int(time.time())),
                "type": "image",
                "image": image,
            }
        ],
    }
    body: dict[str, Any] = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1234567890", "changes": [{"value": value, "field": "messages"}]}],
    }
    [event] = split_webhook(json.dumps(body).encode(), tenant_id, datetime.now(UTC))
    assert isinstance(event, MessageReceived)
    return event


def ingest_of(pool: asyncpg.Pool, tenancy: Tenancy, client: MetaClient) -> MediaIngest:
    return MediaIngest(
        store=PostgresMediaStore(pool),
        signer=MediaLinkSigner(SECRET),
        meta=client.media,
        credentials=MetaAuthDirectory(tenancy.credentials, ttl_s=60),
        settings=SETTINGS,
    )


async def test_media_is_downloaded_stored_once_and_linked(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool, meta: tuple[MetaSandbox, MetaClient]
) -> None:
    sandbox, client = meta
    sandbox.media["555"] = StoredMedia("555", PHONE, PHOTO, "image/jpeg")
    await tenant_with_meta(tenancy, admin, "ingest-a")
    ingest = ingest_of(pool, tenancy, client)
    event = image_event("ingest-a", "555", PHOTO)

    first = await ingest.ingest(event)
    link = first.link("555")
    assert link.startswith("https://wagen.example/media/")
    grant = MediaLinkSigner(SECRET).verify(link.rsplit("/", 1)[1])
    assert (grant.tenant_id, grant.media_id) == ("ingest-a", "555")
    stored = await PostgresMediaStore(pool).get("ingest-a", "555")
    assert stored is not None
    assert (stored.data, stored.mime_type) == (PHOTO, "image/jpeg")

    # A retry of the same message finds the file stored: Meta is not asked again.
    calls_before = len(sandbox.requests.entries)
    again = await ingest.ingest(event)
    assert again.link("555").startswith("https://wagen.example/media/")
    assert len(sandbox.requests.entries) == calls_before

    [call] = first.apply(event_to_genesys(event, GenesysTarget("integ", media_url=first.link)))
    assert isinstance(call.body, OpenInboundNormalizedMessage)
    assert call.body.content is not None
    attachment = call.body.content[0].attachment
    assert attachment.url == link
    assert attachment.sha256 == hashlib.sha256(PHOTO).hexdigest()


@pytest.mark.parametrize(
    ("seed", "reason"),
    [(None, "invalid, missing or unsupported parameter"), (b"x" * 200_000, "larger than")],
)
async def test_a_file_gone_or_too_large_becomes_a_note_for_the_agent(
    tenancy: Tenancy,
    admin: Actor,
    pool: asyncpg.Pool,
    meta: tuple[MetaSandbox, MetaClient],
    seed: bytes | None,
    reason: str,
) -> None:
    sandbox, client = meta
    if seed is not None:
        sandbox.media["777"] = StoredMedia("777", PHONE, seed, "image/jpeg")
    await tenant_with_meta(tenancy, admin, "ingest-b")
    event = image_event("ingest-b", "777", seed or b"")

    ingested = await ingest_of(pool, tenancy, client).ingest(event)

    assert ingested.unavailable is not None
    assert reason in ingested.unavailable
    [call] = ingested.apply(
        event_to_genesys(event, GenesysTarget("integ", media_url=ingested.link))
    )
    body = call.body
    assert isinstance(body, OpenInboundNormalizedMessage)
    assert body.content is None
    assert body.text is not None
    assert body.text.startswith("the box\n[The customer sent an image that could not be retrieved")
    assert body.metadata is not None
    assert reason in body.metadata["media_unavailable"]
    assert await PostgresMediaStore(pool).get("ingest-b", "777") is None


async def test_a_meta_outage_is_raised_for_a_retry_and_stores_nothing(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool, meta: tuple[MetaSandbox, MetaClient]
) -> None:
    sandbox, client = meta
    sandbox.media["888"] = StoredMedia("888", PHONE, PHOTO, "image/jpeg")
    sandbox.failures.add(FailureRule(kind="server_error", operation="media_download"))
    await tenant_with_meta(tenancy, admin, "ingest-c")

    with pytest.raises(MetaRetryableError):
        await ingest_of(pool, tenancy, client).ingest(image_event("ingest-c", "888", PHOTO))
    assert await PostgresMediaStore(pool).get("ingest-c", "888") is None


async def test_a_tenant_without_meta_credentials_is_held(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool, meta: tuple[MetaSandbox, MetaClient]
) -> None:
    _, client = meta
    await tenancy.tenants.create(TenantCreate(tenant_id="ingest-d", name="d"), admin)
    with pytest.raises(CredentialsMissingError):
        await ingest_of(pool, tenancy, client).ingest(image_event("ingest-d", "999", PHOTO))
