"""The baselines' servers, each in a process of its own (``python -m bench.servers MODE ...``).

``bare PORT``: an aiohttp handler that reads the body and answers 200 — the ceiling of
aiohttp plus the load generator on this machine, with no signature, no Kafka.

``relay PORT TENANTS_FILE GENESYS_URL META_URL``: the direct relay, what one would build
without a broker: verify the signature, translate with wagen's own connectors, call the
Genesys (or Meta) simulator with the tenant's token, answer 200 once it accepted. It keeps
the tenants' secrets in memory and has no idempotency, no durability and no pacing: the
baseline the pipeline's throughput is compared to, not an alternative.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bench.payloads import BenchTenant, load_tenants
from connectors.genesys.client import GenesysClient
from connectors.genesys.regions import GenesysEndpoints
from connectors.genesys.token import GenesysTenant
from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from connectors.meta.graph import MetaAuth
from connectors.meta.webhook import split_webhook
from connectors.settings import GenesysClientSettings, MetaClientSettings
from connectors.signatures import (
    SIGNATURE_HEADER,
    verify_genesys_signature,
    verify_meta_signature,
)
from connectors.translate import GenesysTarget, MetaTarget, event_to_genesys, outbound_to_meta
from connectors.translate import parse_outbound as parse_genesys
from schemas.events import MessageReceived
from schemas.genesys import OpenInboundNormalizedMessage
from schemas.meta.send import SendMessage

TRANSPORT: web.AppKey[HttpTransport] = web.AppKey("transport", HttpTransport)
GENESYS: web.AppKey[GenesysClient] = web.AppKey("genesys", GenesysClient)
META: web.AppKey[MetaClient] = web.AppKey("meta", MetaClient)
TENANTS: web.AppKey[dict[str, BenchTenant]] = web.AppKey("tenants", dict)
ENDPOINTS: web.AppKey[GenesysEndpoints] = web.AppKey("endpoints", GenesysEndpoints)


async def ok(request: web.Request) -> web.Response:
    """Read the body, answer 200."""
    await request.read()
    return web.json_response({"status": "stored"})


def bare_app() -> web.Application:
    """The bare handler on both webhook paths."""
    app = web.Application()
    app.router.add_post("/webhooks/meta/{tenant}", ok)
    app.router.add_post("/webhooks/genesys/{tenant}", ok)
    app.router.add_get("/healthz", ok)
    return app


async def relay_meta(request: web.Request) -> web.Response:
    """Meta webhook → verify → translate → Genesys inbound API → 200."""
    tenant = request.app[TENANTS][request.match_info["tenant"]]
    body = await request.read()
    verify_meta_signature(body, request.headers.get(SIGNATURE_HEADER), [tenant.app_secret])
    target = GenesysTenant(
        client_id=tenant.client_id,
        client_secret=tenant.client_secret,
        integration_id=tenant.integration_id,
        endpoints=request.app[ENDPOINTS],
        tenant_id=tenant.tenant_id,
    )
    for event in split_webhook(body, tenant.tenant_id, datetime.now(UTC)):
        if not isinstance(event, MessageReceived):
            continue
        calls = event_to_genesys(
            event, GenesysTarget(integration_id=tenant.integration_id, media_url=lambda m: m)
        )
        for call in calls:
            if isinstance(call.body, OpenInboundNormalizedMessage):
                await request.app[GENESYS].send_message(
                    target, call.body, prefetch_conversation_id=True
                )
    return web.json_response({"status": "relayed"})


async def relay_genesys(request: web.Request) -> web.Response:
    """Genesys outbound webhook → verify → translate → Meta send API → 200."""
    tenant = request.app[TENANTS][request.match_info["tenant"]]
    body = await request.read()
    verify_genesys_signature(body, request.headers.get(SIGNATURE_HEADER), [tenant.outbound_secret])
    message = parse_genesys(body, tenant_id=tenant.tenant_id)
    auth = MetaAuth(tenant.access_token, tenant.number, tenant.tenant_id)
    for call in outbound_to_meta(message, MetaTarget(phone_number_id=tenant.number)):
        if isinstance(call.body, SendMessage):
            await request.app[META].send(auth, call.body)
    return web.json_response({"status": "relayed"})


def relay_app(tenants: list[BenchTenant], genesys_url: str, meta_url: str) -> web.Application:
    """The direct relay over one HTTP pool, with wagen's own clients."""
    app = web.Application()
    app[TENANTS] = {t.tenant_id: t for t in tenants}
    app[ENDPOINTS] = GenesysEndpoints(login_url=genesys_url, api_url=genesys_url)

    async def clients(app: web.Application) -> AsyncIterator[None]:
        transport = HttpTransport()
        await transport.start()
        app[TRANSPORT] = transport
        app[GENESYS] = GenesysClient(transport, GenesysClientSettings(retry_attempts=1))
        app[META] = MetaClient(transport, MetaClientSettings(graph_url=meta_url, retry_attempts=1))
        yield
        await transport.stop()

    app.cleanup_ctx.append(clients)
    app.router.add_post("/webhooks/meta/{tenant}", relay_meta)
    app.router.add_post("/webhooks/genesys/{tenant}", relay_genesys)
    app.router.add_get("/healthz", ok)
    return app


def main() -> None:
    """``python -m bench.servers bare PORT`` or ``relay PORT TENANTS GENESYS_URL META_URL``."""
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "bare":
        app = bare_app()
    else:
        tenants_file, genesys_url, meta_url = sys.argv[3:6]
        app = relay_app(load_tenants(Path(tenants_file)), genesys_url, meta_url)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
