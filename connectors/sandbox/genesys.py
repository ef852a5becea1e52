"""The Genesys Cloud simulator (``wagen sandbox genesys``): an aiohttp app over
:class:`~connectors.sandbox.genesys_state.GenesysSandbox`.

It serves both hosts of a region at once: ``POST /oauth/token`` (the login host) and
``POST /api/v2/conversations/messages/{integrationId}/inbound/open/{kind}``, the read side of
message conversations and ``POST /api/v2/conversations/callbacks`` (the API host),
so a client points ``login_url`` and ``api_url`` at the same base. Control routes live under
``/_sandbox``. The Open Messaging integrations API is in
:mod:`connectors.sandbox.genesys_integrations`.
"""

from __future__ import annotations

from aiohttp import web

from connectors.sandbox import genesys_api as api
from connectors.sandbox import genesys_callbacks as callbacks
from connectors.sandbox import genesys_control as control
from connectors.sandbox import genesys_conversations as conversations
from connectors.sandbox.common import (
    CONTROL_PREFIX,
    FAILURES_KEY,
    delay_middleware,
    health,
    webhook_session_ctx,
)
from connectors.sandbox.genesys_integrations import add_integration_routes
from connectors.sandbox.genesys_state import ClientConfig, GenesysSandbox, IntegrationConfig

_KINDS = "message|receipt|event|structured/response"


def create_genesys_app(
    sandbox: GenesysSandbox | None = None,
    *,
    clients: tuple[ClientConfig, ...] = (),
    integrations: tuple[IntegrationConfig, ...] = (),
) -> web.Application:
    """The simulator app; pass ``sandbox`` to share its state with a test."""
    state = sandbox or GenesysSandbox()
    for client in clients:
        state.clients[client.client_id] = client
    for integration in integrations:
        state.integrations[integration.integration_id] = integration
    app = web.Application(client_max_size=30 * 1024 * 1024, middlewares=[delay_middleware])
    app[api.GENESYS_KEY] = state
    app[FAILURES_KEY] = state.failures
    app.cleanup_ctx.append(webhook_session_ctx(control.SESSION_KEY))
    routes = app.router
    routes.add_post("/oauth/token", api.token)
    routes.add_post(
        f"/api/v2/conversations/messages/{{integration_id}}/inbound/open/{{kind:{_KINDS}}}",
        api.inbound,
    )
    routes.add_get("/api/v2/conversations/messages/{conversation_id}", conversations.conversation)
    routes.add_post(
        "/api/v2/conversations/messages/{conversation_id}/messages/bulk",
        conversations.messages_bulk,
    )
    add_integration_routes(app)
    prefix = CONTROL_PREFIX
    routes.add_get(f"{prefix}/health", health)
    routes.add_post(f"{prefix}/clients", control.add_client)
    routes.add_post(f"{prefix}/integrations", control.add_integration)
    routes.add_get(f"{prefix}/integrations", control.list_integrations)
    routes.add_post(f"{prefix}/integration_creation", control.set_integration_creation)
    routes.add_post(f"{prefix}/tokens/expire", control.expire_tokens)
    routes.add_get(f"{prefix}/tokens", control.list_tokens)
    routes.add_post(f"{prefix}/failures", control.add_failure)
    routes.add_post(f"{prefix}/rate_limits", control.set_rate_limit)
    routes.add_post(f"{prefix}/attachments", control.host_attachment)
    routes.add_get(f"{prefix}/attachments/{{ident}}/{{filename}}", control.serve_attachment)
    routes.add_post(f"{prefix}/webhooks/outbound", control.emit_outbound)
    routes.add_get(f"{prefix}/requests", control.list_requests)
    routes.add_get(f"{prefix}/received", control.list_received)
    callbacks.install(app, prefix)
    return app
