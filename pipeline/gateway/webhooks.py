"""Webhook ingress: verify, store in Kafka, acknowledge — nothing else on the hot path.

Each handler checks the signature on the raw bytes, publishes those bytes unchanged
(keyed by tenant; parsing happens in the worker, and the original stays replayable) and
answers 200 only once Kafka has the record on all in-sync replicas. Kafka unavailable →
503, so Meta and Genesys retry; a body over the limit is refused by aiohttp with 413.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from connectors.errors import SignatureMismatchError
from connectors.meta.handshake import verify_handshake
from connectors.signatures import SIGNATURE_HEADER, verify_genesys_signature, verify_meta_signature
from pipeline.gateway.keys import PRODUCER_KEY, TENANT_SECRETS_KEY
from pipeline.gateway.tenant_secrets import TenantSecrets
from pipeline.topics import GENESYS_WEBHOOKS, WA_WEBHOOKS
from tenancy.http.context import request_id


async def meta_handshake(request: web.Request) -> web.Response:
    """Meta's GET subscription check: echo the challenge for our verify token, else 403."""
    tenant_id = request.match_info["tenant"]
    secrets = request.app[TENANT_SECRETS_KEY]
    await secrets.active_tenant(tenant_id)
    credentials = await secrets.meta(tenant_id)
    challenge = verify_handshake(request.query, credentials.verify_token, tenant_id=tenant_id)
    return web.Response(text=challenge, content_type="text/plain")


async def meta_webhook(request: web.Request) -> web.Response:
    """A tenant's Meta webhook → ``wa.webhooks``."""

    async def secret(secrets: TenantSecrets, tenant_id: str) -> str:
        return (await secrets.meta(tenant_id)).app_secret

    return await _ingest(request, "meta", WA_WEBHOOKS, verify_meta_signature, secret)


async def genesys_webhook(request: web.Request) -> web.Response:
    """A tenant's Genesys outbound webhook → ``genesys.webhooks``."""

    async def secret(secrets: TenantSecrets, tenant_id: str) -> str:
        return (await secrets.genesys(tenant_id)).outbound_webhook_secret

    return await _ingest(request, "genesys", GENESYS_WEBHOOKS, verify_genesys_signature, secret)


async def _ingest(
    request: web.Request,
    source: str,
    topic: str,
    verify: Callable[..., None],
    secret_of: Callable[[TenantSecrets, str], Awaitable[str]],
) -> web.Response:
    received_ms = time.time_ns() // 1_000_000
    tenant_id = request.match_info["tenant"]
    secrets = request.app[TENANT_SECRETS_KEY]
    await secrets.active_tenant(tenant_id)
    body = await request.read()
    header = request.headers.get(SIGNATURE_HEADER)
    try:
        verify(body, header, [await secret_of(secrets, tenant_id)], tenant_id=tenant_id)
    except SignatureMismatchError:
        # Maybe the secret was rotated since we cached it: read Vault once more.
        secrets.forget_credentials(tenant_id)
        verify(body, header, [await secret_of(secrets, tenant_id)], tenant_id=tenant_id)
    await request.app[PRODUCER_KEY].publish(
        topic,
        key=tenant_id.encode(),
        value=body,
        headers=[
            ("tenant_id", tenant_id.encode()),
            ("source", source.encode()),
            ("received_at_ms", str(received_ms).encode()),
            ("request_id", request_id(request).encode()),
            ("content_type", request.headers.get("Content-Type", "").encode()),
        ],
    )
    return web.json_response({"status": "stored"})


def add_webhook_routes(app: web.Application) -> None:
    """Register the ingress routes (authenticated by signature, not by tenant credentials)."""
    app.router.add_get("/webhooks/meta/{tenant}", meta_handshake)
    app.router.add_post("/webhooks/meta/{tenant}", meta_webhook)
    app.router.add_post("/webhooks/genesys/{tenant}", genesys_webhook)
