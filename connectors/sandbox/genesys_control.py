"""The Genesys simulator's control and inspection endpoints, and the webhooks it emits.

Under ``/_sandbox``: register OAuth clients and integrations (and list them, and say how
created ones complete), expire tokens, queue failures,
cap an integration's request rate,
host agent attachments, emit signed outbound webhooks (agent text, attachment, typing,
receipt), and read back requests, issued-token counts and accepted bodies.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import quote

import aiohttp
from aiohttp import web
from pydantic import Field

from connectors.sandbox.common import (
    ControlModel,
    FailureRule,
    RateLimitRule,
    compact_json,
    deliver_signed,
    read_control,
)
from connectors.sandbox.genesys_api import GENESYS_KEY
from connectors.sandbox.genesys_integrations import integration_body
from connectors.sandbox.genesys_state import (
    ClientConfig,
    IntegrationConfig,
    IntegrationCreation,
    StoredAttachment,
)
from connectors.sandbox.ids import genesys_message_id
from connectors.signatures import sign_genesys
from connectors.translate.context import genesys_customer
from schemas.genesys import OUTBOUND_WEBHOOK

SESSION_KEY: Final = web.AppKey("genesys_webhook_session", aiohttp.ClientSession)


class ExpireTokens(ControlModel):
    """``POST /_sandbox/tokens/expire``: tokens of one client (or all) answer 401 from now."""

    client_id: str | None = None


class AttachmentRef(ControlModel):
    """The attachment of an emitted agent message."""

    url: str
    mime: str
    filename: str | None = None
    media_type: str = "Image"


class OutboundSpec(ControlModel):
    """``POST /_sandbox/webhooks/outbound``: what the agent does.

    ``type`` ``Text`` sends ``text`` and/or ``attachment``; ``Event`` is agent typing;
    ``Receipt`` reports ``status`` of a message.
    """

    integration_id: str
    to: str = Field(min_length=1, description="The customer id (our channel.from.id inbound).")
    type: Literal["Text", "Event", "Receipt"] = "Text"
    text: str | None = None
    attachment: AttachmentRef | None = None
    status: str = "Delivered"
    id: str | None = None
    nickname: str = "WhatsApp Bridge"


def _time() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


async def add_client(request: web.Request) -> web.Response:
    """Register (or replace) an OAuth client."""
    config = await read_control(request, ClientConfig)
    request.app[GENESYS_KEY].clients[config.client_id] = config
    return web.json_response({"client_id": config.client_id})


async def add_integration(request: web.Request) -> web.Response:
    """Register (or replace) an integration."""
    config = await read_control(request, IntegrationConfig)
    request.app[GENESYS_KEY].integrations[config.integration_id] = config
    return web.json_response({"integration_id": config.integration_id})


async def list_integrations(request: web.Request) -> web.Response:
    """Every integration of every org, with its org and webhook URL (never its secret)."""
    sandbox = request.app[GENESYS_KEY]
    found = [
        {**integration_body(sandbox, i), "orgId": i.org_id} for i in sandbox.integrations.values()
    ]
    return web.json_response({"integrations": found})


async def set_integration_creation(request: web.Request) -> web.Response:
    """How integrations created from now on complete (delay and outcome)."""
    creation = await read_control(request, IntegrationCreation)
    request.app[GENESYS_KEY].creation = creation
    return web.json_response(creation.model_dump())


async def expire_tokens(request: web.Request) -> web.Response:
    """Expire issued tokens."""
    body = await read_control(request, ExpireTokens)
    return web.json_response({"expired": request.app[GENESYS_KEY].expire_tokens(body.client_id)})


async def add_failure(request: web.Request) -> web.Response:
    """Queue a failure rule (scope: client id for ``token``, integration id otherwise)."""
    rule = await read_control(request, FailureRule)
    request.app[GENESYS_KEY].failures.add(rule)
    return web.json_response(rule.model_dump(), status=201)


async def set_rate_limit(request: web.Request) -> web.Response:
    """Cap an integration's request rate (429 with ``Retry-After`` above it)."""
    rule = await read_control(request, RateLimitRule)
    request.app[GENESYS_KEY].rate_limits.set(rule)
    return web.json_response(rule.model_dump(), status=201)


async def host_attachment(request: web.Request) -> web.Response:
    """Store the request body as a file; answer its public URL (``?mime=&filename=``)."""
    mime = request.query.get("mime", "application/octet-stream")
    filename = request.query.get("filename", "attachment.bin")
    ident = uuid.uuid4().hex
    request.app[GENESYS_KEY].attachments[ident] = StoredAttachment(
        await request.read(), mime, filename
    )
    url = f"{request.url.origin()}/_sandbox/attachments/{ident}/{quote(filename)}"
    return web.json_response({"url": url}, status=201)


async def serve_attachment(request: web.Request) -> web.Response:
    """The hosted file (pre-signed in real Genesys: no credentials needed)."""
    stored = request.app[GENESYS_KEY].attachments.get(request.match_info["ident"])
    if stored is None:
        raise web.HTTPNotFound(text="no such attachment")
    return web.Response(body=stored.data, content_type=stored.mime_type)


async def list_requests(request: web.Request) -> web.Response:
    """Every request received (filter with ``?operation=&scope=&status=``)."""
    sandbox = request.app[GENESYS_KEY]
    return web.json_response({"requests": sandbox.requests.select(request.query)})


async def list_tokens(request: web.Request) -> web.Response:
    """Tokens issued per client id."""
    return web.json_response({"issued": dict(request.app[GENESYS_KEY].issued)})


async def list_received(request: web.Request) -> web.Response:
    """Every inbound body accepted."""
    return web.json_response({"received": request.app[GENESYS_KEY].received})


def _webhook_body(spec: OutboundSpec) -> dict[str, Any]:
    ident = spec.id or genesys_message_id()
    body: dict[str, Any] = {
        "id": ident,
        "channel": {
            "id": spec.integration_id,
            "platform": "Open",
            "type": "Private",
            "to": {"id": spec.to, "idType": genesys_customer(spec.to)[1]},
            "from": {"nickname": spec.nickname, "id": spec.integration_id, "idType": "Opaque"},
            "time": _time(),
            "messageId": ident,
        },
        "type": spec.type,
    }
    if spec.type == "Text":
        if spec.text is None and spec.attachment is None:
            raise web.HTTPUnprocessableEntity(text="a Text webhook needs text or an attachment")
        if spec.text is not None:
            body["text"] = spec.text
        if spec.attachment is not None:
            ref = spec.attachment
            attachment = {"mediaType": ref.media_type, "url": ref.url, "mime": ref.mime}
            if ref.filename:
                attachment["filename"] = ref.filename
            body["content"] = [{"contentType": "Attachment", "attachment": attachment}]
    elif spec.type == "Event":
        body["events"] = [{"eventType": "Typing", "typing": {"type": "On", "duration": 5000}}]
    else:
        body.update(status=spec.status, isFinalReceipt=True)
    body["direction"] = "Outbound"
    return body


async def emit_outbound(request: web.Request) -> web.Response:
    """Sign and POST an outbound webhook to the integration's URL."""
    spec = await read_control(request, OutboundSpec)
    integration = request.app[GENESYS_KEY].integrations.get(spec.integration_id)
    if integration is None:
        raise web.HTTPNotFound(text=f"no integration {spec.integration_id}")
    if integration.webhook_url is None or integration.webhook_secret is None:
        raise web.HTTPConflict(text="the integration has no webhook_url and webhook_secret")
    body = _webhook_body(spec)
    # Our own schema must accept what we emit, or the simulator would test nothing.
    OUTBOUND_WEBHOOK.validate_python(body)
    raw = compact_json(body, ascii_only=False)
    status = await deliver_signed(
        request.app[SESSION_KEY],
        integration.webhook_url,
        raw,
        sign_genesys(raw, integration.webhook_secret),
    )
    return web.json_response({"delivery_status": status, "body": body})
