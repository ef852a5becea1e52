"""The Genesys simulator's API: ``/oauth/token`` and the four Open Messaging inbound endpoints.

An accepted message is filed in the customer's conversation (one open conversation per
integration and customer), which :mod:`connectors.sandbox.genesys_conversations` serves.

Inbound bodies are validated strictly (JSON types as written, no coercion, unknown fields
refused) with our ``schemas.genesys`` models, which the contract tests hold to Genesys's
strict JSON Schemas; a refusal is a 400 with Genesys's error body.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel, ValidationError

from connectors.sandbox.common import FailureRule, apply_delay
from connectors.sandbox.genesys_state import GenesysSandbox, MessageConversation, StoredMessage
from connectors.sandbox.ids import context_id, genesys_message_id
from schemas.genesys import (
    OpenInboundNormalizedEvent,
    OpenInboundNormalizedMessage,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
)
from schemas.genesys.api import ErrorBody, RateLimit
from schemas.parsing import error_path

GENESYS_KEY: Final = web.AppKey("genesys_sandbox", GenesysSandbox)

INBOUND_MODELS: Final[Mapping[str, type[BaseModel]]] = {
    "message": OpenInboundNormalizedMessage,
    "receipt": OpenInboundNormalizedReceipt,
    "event": OpenInboundNormalizedEvent,
    "structured/response": OpenInboundStructuredResponseMessage,
}
"""The model validating each inbound endpoint's body."""

_CONVERSATION_KINDS: Final = frozenset({"message", "structured/response"})
"""Endpoints whose accepted body becomes a message of the customer's conversation."""

_RESPONSE_TYPES: Final = {
    "message": "Text",
    "receipt": "Receipt",
    "event": "Event",
    "structured/response": "Structured",
}


def genesys_error(
    status: int,
    code: str,
    message: str,
    *,
    errors: list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
    limit: RateLimit | None = None,
    extra: Mapping[str, Any] | None = None,
) -> web.Response:
    """A Genesys error response; ``contextId`` is also sent as ``ININ-Correlation-Id``.

    ``extra`` adds fields some errors carry (``messageWithParams``, ``messageParams``).
    """
    ident = context_id()
    body = ErrorBody(
        message=message,
        code=code,
        status=status,
        context_id=ident,
        details=[],
        errors=errors or [],
        limit=limit,
    )
    return web.json_response(
        {**body.model_dump(mode="json", exclude_none=True, by_alias=True), **(extra or {})},
        status=status,
        headers={**(headers or {}), "ININ-Correlation-Id": ident},
    )


def missing_permission(permission: str) -> web.Response:
    """The 403 Genesys answers when the client's role lacks ``permission``.

    Shape of Genesys's ``missing.permissions`` error (message, ``messageWithParams`` and
    ``messageParams``), as the platform's Go and JS clients decode it.
    """
    template = (
        "Unable to perform the requested action. You are missing the following permission(s): "
    )
    return genesys_error(
        403,
        "missing.permissions",
        f"{template}[{permission}]",
        extra={
            "messageWithParams": template + "{permissions}",
            "messageParams": {"permissions": f"[{permission}]"},
        },
    )


def injected_failure(rule: FailureRule) -> web.Response:
    if rule.kind == "rate_limit":
        wait = rule.retry_after if rule.retry_after is not None else 1
        return genesys_error(
            rule.status or 429,
            "too.many.requests",
            f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds",
            headers={"Retry-After": str(wait)},
            limit=RateLimit(key="requests.api.per.client", namespace="platform.api", value=300),
        )
    if rule.kind == "bad_token":
        return unauthorized()
    status = rule.status or 503
    code = "service.unavailable" if status == 503 else "internal.server.error"
    return genesys_error(status, code, "The service is currently unavailable")


def unauthorized() -> web.Response:
    return genesys_error(401, "bad.credentials", "Invalid login credentials.")


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    body = {"error": error, "description": description, "error_description": description}
    return web.json_response(body, status=status)


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


async def token(request: web.Request) -> web.Response:
    """``POST /oauth/token`` with ``grant_type=client_credentials`` and Basic auth."""
    sandbox = request.app[GENESYS_KEY]
    credentials = _basic_credentials(request)
    client_id = credentials[0] if credentials else None
    form = await request.post()
    rule = apply_delay(request, sandbox.failures.take(client_id, "token"))
    client = sandbox.authenticate(*credentials) if credentials else None
    if rule is not None:
        response = (
            _oauth_error(401, "invalid_client", "client revoked")
            if rule.kind == "bad_token"
            else injected_failure(rule)
        )
    elif form.get("grant_type") != "client_credentials":
        response = _oauth_error(400, "unsupported_grant_type", "grant type not supported")
    elif client is None:
        response = _oauth_error(401, "invalid_client", "client not found or bad secret")
    else:
        response = web.json_response(
            {
                "access_token": sandbox.issue(client),
                "token_type": "bearer",
                "expires_in": client.expires_in,
            }
        )
    sandbox.requests.record(
        request, operation="token", scope=client_id, status=response.status, body=None
    )
    return response


async def inbound(request: web.Request) -> web.Response:
    """``POST /api/v2/conversations/messages/{integrationId}/inbound/open/{kind}``."""
    sandbox = request.app[GENESYS_KEY]
    integration_id = request.match_info["integration_id"]
    kind = request.match_info["kind"]
    raw = await request.read()
    response = await _inbound(request, sandbox, integration_id, kind, raw)
    sandbox.requests.record(
        request,
        operation=kind,
        scope=integration_id,
        status=response.status,
        body=raw.decode("utf-8", errors="replace"),
    )
    return response


async def _inbound(
    request: web.Request, sandbox: GenesysSandbox, integration_id: str, kind: str, raw: bytes
) -> web.Response:
    rule = apply_delay(request, sandbox.failures.take(integration_id, kind))
    if rule is not None:
        return injected_failure(rule)
    if not sandbox.rate_limits.take(integration_id):
        return injected_failure(FailureRule(kind="rate_limit", retry_after=1))
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or sandbox.token_client(bearer.strip()) is None:
        return unauthorized()
    if integration_id not in sandbox.integrations:
        return genesys_error(404, "not.found", f"Integration {integration_id} not found")
    try:
        body = INBOUND_MODELS[kind].model_validate_json(raw, strict=True)
    except ValidationError as exc:
        return _bad_request(exc)
    dumped = body.model_dump(mode="json", exclude_none=True)
    sandbox.received.append({"kind": kind, "integration_id": integration_id, "body": dumped})
    answer = _normalized(kind, integration_id, dumped)
    if kind in _CONVERSATION_KINDS:
        conversation = _keep(sandbox, integration_id, answer)
        if request.query.get("prefetchConversationId") == "true":
            answer["conversationId"] = conversation.id
    return web.json_response(answer)


def _keep(
    sandbox: GenesysSandbox, integration_id: str, answer: dict[str, Any]
) -> MessageConversation:
    """File an accepted customer message in the customer's conversation."""
    channel = answer["channel"]
    customer = str(channel.get("from", {}).get("id", ""))
    conversation = sandbox.conversation_of(integration_id, customer)
    conversation.messages.append(
        StoredMessage(
            id=answer["id"],
            conversation_id=conversation.id,
            provider_message_id=channel.get("messageId"),
            from_address=customer,
            text=answer.get("text"),
            timestamp=str(channel.get("time", "")),
        )
    )
    return conversation


def _bad_request(exc: ValidationError) -> web.Response:
    problems = exc.errors(include_url=False, include_input=False)
    errors = [
        {
            "message": f"{error_path(tuple(p['loc']))}: {p['msg']}",
            "code": "bad.request",
            "status": 400,
        }
        for p in problems
    ]
    first = errors[0]["message"] if errors else "invalid body"
    return genesys_error(
        400, "bad.request", f"The request could not be understood: {first}", errors=errors
    )


bad_request = _bad_request
"""A 400 with Genesys's error body naming each invalid field (for the other API routes)."""


def _normalized(kind: str, integration_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The ``OpenMessageNormalizedMessage``-shaped answer to an accepted body."""
    channel = dict(body.get("channel", {}))
    channel.update(id=integration_id, platform="Open", type="Private")
    channel.setdefault("to", {"id": integration_id})
    answer: dict[str, Any] = {
        **{k: v for k, v in body.items() if k != "channel"},
        "id": body.get("id") or genesys_message_id(),
        "channel": channel,
        "type": _RESPONSE_TYPES[kind],
        "direction": "Inbound",
    }
    return answer
