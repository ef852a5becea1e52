"""The Genesys simulator's integrations API: list, get, create, update, delete Open Messaging
integrations (``/api/v2/conversations/messaging/integrations/open``).

As Genesys does: the bearer token's client sees only its own org's integrations, each route
needs its permission (``messaging:integration:view|add|edit|delete``: a 403
``missing.permissions`` naming it otherwise), bodies are validated strictly against the SDK
models (400 ``bad.request``), and a created integration answers ``createStatus: Initiated``
until its creation completes (after :class:`~connectors.sandbox.genesys_state.IntegrationCreation`
``delay_s``, with its ``outcome``). Failure rules apply per operation (``integration_list``,
``integration_get``, ``integration_create``, ``integration_update``, ``integration_delete``),
scoped by client id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from connectors.sandbox.common import apply_delay
from connectors.sandbox.genesys_api import (
    GENESYS_KEY,
    bad_request,
    genesys_error,
    injected_failure,
    missing_permission,
    unauthorized,
)
from connectors.sandbox.genesys_state import ClientConfig, GenesysSandbox, IntegrationConfig
from schemas.genesys.integrations import OpenIntegrationRequest, OpenIntegrationUpdateRequest

BASE = "/api/v2/conversations/messaging/integrations/open"

_PERMISSIONS = {
    "integration_list": "messaging:integration:view",
    "integration_get": "messaging:integration:view",
    "integration_create": "messaging:integration:add",
    "integration_update": "messaging:integration:edit",
    "integration_delete": "messaging:integration:delete",
}


def _now_text() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def integration_body(sandbox: GenesysSandbox, integration: IntegrationConfig) -> dict[str, Any]:
    """The ``OpenIntegration`` answer (the secret token is never sent back)."""
    status = sandbox.integration_status(integration)
    body: dict[str, Any] = {
        "id": integration.integration_id,
        "name": integration.name or integration.integration_id,
        "outboundNotificationWebhookUrl": integration.webhook_url,
        "status": "Active",
        "createStatus": status,
        "dateCreated": integration.date_created,
        "selfUri": f"{BASE}/{integration.integration_id}",
    }
    if integration.webhook_headers:
        body["webhookHeaders"] = integration.webhook_headers
    if status == "Error":
        body["createError"] = {"code": "integration.create.failed", "message": "creation failed"}
    return {k: v for k, v in body.items() if v is not None}


async def _gate(
    request: web.Request, operation: str
) -> tuple[GenesysSandbox, ClientConfig | web.Response]:
    """Failure rules, the bearer token, then the permission: the client, or the refusal."""
    sandbox = request.app[GENESYS_KEY]
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    client = sandbox.token_owner(bearer.strip()) if scheme.lower() == "bearer" else None
    rule = apply_delay(
        request, sandbox.failures.take(client.client_id if client else None, operation)
    )
    if rule is not None:
        return sandbox, injected_failure(rule)
    if client is None:
        return sandbox, unauthorized()
    if not client.grants(_PERMISSIONS[operation]):
        return sandbox, missing_permission(_PERMISSIONS[operation])
    return sandbox, client


def _find(sandbox: GenesysSandbox, client: ClientConfig, ident: str) -> IntegrationConfig | None:
    found = sandbox.integrations.get(ident)
    return found if found is not None and found.org_id == client.org_id else None


def _not_found(ident: str) -> web.Response:
    return genesys_error(404, "not.found", f"Integration {ident} not found")


def _finish(
    request: web.Request, sandbox: GenesysSandbox, operation: str, response: web.Response
) -> web.Response:
    scope = request.match_info.get("integration_id")
    sandbox.requests.record(request, operation=operation, scope=scope, status=response.status)
    return response


async def _validated(request: web.Request, model: type[BaseModel]) -> BaseModel | web.Response:
    try:
        return model.model_validate_json(await request.read(), strict=True)
    except ValidationError as exc:
        return bad_request(exc)


async def list_integrations(request: web.Request) -> web.Response:
    """``GET .../integrations/open?pageSize&pageNumber``."""
    sandbox, gate = await _gate(request, "integration_list")
    if isinstance(gate, web.Response):
        return _finish(request, sandbox, "integration_list", gate)
    size = max(1, min(500, int(request.query.get("pageSize", "25") or 25)))
    number = max(1, int(request.query.get("pageNumber", "1") or 1))
    own = [i for i in sandbox.integrations.values() if i.org_id == gate.org_id]
    page = own[(number - 1) * size : number * size]
    body = {
        "entities": [integration_body(sandbox, i) for i in page],
        "pageSize": size,
        "pageNumber": number,
        "total": len(own),
        "pageCount": max(1, -(-len(own) // size)),
    }
    return _finish(request, sandbox, "integration_list", web.json_response(body))


async def get_integration(request: web.Request) -> web.Response:
    """``GET .../integrations/open/{integrationId}``."""
    sandbox, gate = await _gate(request, "integration_get")
    if not isinstance(gate, web.Response):
        ident = request.match_info["integration_id"]
        found = _find(sandbox, gate, ident)
        gate = (
            _not_found(ident)
            if found is None
            else web.json_response(integration_body(sandbox, found))
        )
    return _finish(request, sandbox, "integration_get", gate)


async def create_integration(request: web.Request) -> web.Response:
    """``POST .../integrations/open``: answered ``Initiated``; completes later."""
    sandbox, gate = await _gate(request, "integration_create")
    if isinstance(gate, web.Response):
        return _finish(request, sandbox, "integration_create", gate)
    body = await _validated(request, OpenIntegrationRequest)
    if isinstance(body, web.Response):
        return _finish(request, sandbox, "integration_create", body)
    assert isinstance(body, OpenIntegrationRequest)
    creation = sandbox.creation
    integration = IntegrationConfig(
        integration_id=str(uuid.uuid4()),
        webhook_url=body.outbound_notification_webhook_url,
        webhook_secret=body.outbound_notification_webhook_signature_secret_token,
        name=body.name,
        org_id=gate.org_id,
        create_status="Initiated",
        ready_at=None if creation.outcome == "Initiated" else sandbox.clock() + creation.delay_s,
        outcome="Error" if creation.outcome == "Error" else "Completed",
        webhook_headers=body.webhook_headers,
        date_created=_now_text(),
    )
    sandbox.integrations[integration.integration_id] = integration
    answer = web.json_response(integration_body(sandbox, integration))
    return _finish(request, sandbox, "integration_create", answer)


async def update_integration(request: web.Request) -> web.Response:
    """``PATCH .../integrations/open/{integrationId}``: name, webhook URL, secret, headers."""
    sandbox, gate = await _gate(request, "integration_update")
    if isinstance(gate, web.Response):
        return _finish(request, sandbox, "integration_update", gate)
    ident = request.match_info["integration_id"]
    found = _find(sandbox, gate, ident)
    if found is None:
        return _finish(request, sandbox, "integration_update", _not_found(ident))
    body = await _validated(request, OpenIntegrationUpdateRequest)
    if isinstance(body, web.Response):
        return _finish(request, sandbox, "integration_update", body)
    assert isinstance(body, OpenIntegrationUpdateRequest)
    changes: dict[str, Any] = {"name": body.name}
    if body.outbound_notification_webhook_url is not None:
        changes["webhook_url"] = body.outbound_notification_webhook_url
    if body.outbound_notification_webhook_signature_secret_token is not None:
        changes["webhook_secret"] = body.outbound_notification_webhook_signature_secret_token
    if body.webhook_headers is not None:
        changes["webhook_headers"] = body.webhook_headers
    updated = found.model_copy(update=changes)
    sandbox.integrations[ident] = updated
    answer = web.json_response(integration_body(sandbox, updated))
    return _finish(request, sandbox, "integration_update", answer)


async def delete_integration(request: web.Request) -> web.Response:
    """``DELETE .../integrations/open/{integrationId}``: 204."""
    sandbox, gate = await _gate(request, "integration_delete")
    if not isinstance(gate, web.Response):
        ident = request.match_info["integration_id"]
        if _find(sandbox, gate, ident) is None:
            gate = _not_found(ident)
        else:
            del sandbox.integrations[ident]
            gate = web.Response(status=204)
    return _finish(request, sandbox, "integration_delete", gate)


def add_integration_routes(app: web.Application) -> None:
    """Register the integrations API on the simulator app."""
    routes = app.router
    routes.add_get(BASE, list_integrations)
    routes.add_post(BASE, create_integration)
    routes.add_get(f"{BASE}/{{integration_id}}", get_integration)
    routes.add_patch(f"{BASE}/{{integration_id}}", update_integration)
    routes.add_delete(f"{BASE}/{{integration_id}}", delete_integration)
