"""Builds the gateway's aiohttp application and runs it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from pipeline.console.app import add_console
from pipeline.gateway.body_timeout import body_timeout_middleware
from pipeline.gateway.client_address import client_address_middleware, parse_networks
from pipeline.gateway.correlation import correlation_middleware
from pipeline.gateway.errors import error_middleware
from pipeline.gateway.health import healthz, readyz
from pipeline.gateway.keys import (
    CHECKS_KEY,
    PRODUCER_KEY,
    RESOURCES_KEY,
    SETTINGS_KEY,
    TENANT_SECRETS_KEY,
)
from pipeline.gateway.malformed_requests import thin_malformed_request_logs
from pipeline.gateway.media import add_media_routes
from pipeline.gateway.readiness import dependency_checks
from pipeline.gateway.server import serve
from pipeline.gateway.tenant_changes import TenantChangeListener, listening
from pipeline.gateway.tenant_secrets import TenantSecrets
from pipeline.gateway.webhooks import add_webhook_routes
from pipeline.kafka.producer import EventProducer
from pipeline.metrics.auth import AUTH_METRICS
from pipeline.metrics.record import configure as configure_metrics
from pipeline.runtime.onboarding import open_onboarding
from pipeline.runtime.resources import open_resources, tenancy_config
from pipeline.settings import WagenSettings
from tenancy.http.access import access_middleware
from tenancy.http.context import ONBOARDING_KEY, TENANCY_KEY
from tenancy.http.openapi import openapi_json
from tenancy.http.routes import add_routes
from tenancy.platform import PlatformSecrets
from tenancy.services import build_tenancy, running

log = logging.getLogger(__name__)


async def _resources_ctx(app: web.Application) -> AsyncIterator[None]:
    async with open_resources(app[SETTINGS_KEY]) as resources:
        app[RESOURCES_KEY] = resources
        app[CHECKS_KEY] = dependency_checks(resources)
        services = build_tenancy(
            tenancy_config(app[SETTINGS_KEY]),
            resources.postgres,
            resources.redis,
            resources.vault,
            auth_observer=AUTH_METRICS,
        )
        async with running(services) as tenancy:
            app[TENANCY_KEY] = tenancy
            yield


async def _onboarding_ctx(app: web.Application) -> AsyncIterator[None]:
    """The vendor clients onboarding and the doctor call, on their own HTTP pool."""
    resources, tenancy = app[RESOURCES_KEY], app[TENANCY_KEY]
    async with open_onboarding(app[SETTINGS_KEY], resources, tenancy) as onboarding:
        app[ONBOARDING_KEY] = onboarding
        yield


async def _ingress_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS_KEY]
    tenancy = app[TENANCY_KEY]
    secrets = TenantSecrets(
        tenancy.tenants,
        tenancy.credentials,
        tenancy.numbers,
        PlatformSecrets(app[RESOURCES_KEY].vault, settings.vault),
        settings.gateway.secrets_ttl_s,
        settings.gateway.secret_reread_interval_s,
    )
    app[TENANT_SECRETS_KEY] = secrets
    producer = EventProducer(
        settings.kafka,
        publish_timeout_s=settings.gateway.publish_timeout_s,
        max_request_bytes=settings.gateway.max_body_bytes,
    )
    app[PRODUCER_KEY] = producer
    changes = TenantChangeListener(
        settings.postgres, secrets.tenant_changed, secrets.everything_changed
    )
    try:
        async with listening(changes):
            yield
    finally:
        await producer.stop()


def create_app(settings: WagenSettings) -> web.Application:
    """The gateway application; its shared clients live for the app's lifespan."""
    app = web.Application(
        client_max_size=settings.gateway.max_body_bytes,
        # The correlation id first, so every log line of the request carries it; the client
        # address (trusted proxies) before anything counts failures by it; then errors, so
        # access failures (401/403/429) get the same JSON shape; bodies are read within their
        # deadline before anything else looks at them.
        middlewares=[
            correlation_middleware,
            client_address_middleware(parse_networks(settings.gateway.trusted_proxies)),
            error_middleware,
            body_timeout_middleware(settings.gateway.body_timeout_s),
            access_middleware,
        ],
    )
    app[SETTINGS_KEY] = settings
    configure_metrics(settings.metrics)
    thin_malformed_request_logs()
    app.cleanup_ctx.append(_resources_ctx)
    app.cleanup_ctx.append(_onboarding_ctx)
    app.cleanup_ctx.append(_ingress_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    # /metrics is not here: it has a listener of its own (pipeline.gateway.server).
    app.router.add_get("/openapi.json", openapi_json)
    add_routes(app)
    add_webhook_routes(app)
    add_media_routes(app)
    add_console(app)
    return app


def run_gateway(settings: WagenSettings) -> None:
    """Serve until SIGINT/SIGTERM, then close every client."""
    log.info(
        "gateway starting",
        extra={"host": settings.gateway.host, "port": settings.gateway.port},
    )
    asyncio.run(serve(create_app(settings), settings))
