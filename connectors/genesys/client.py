"""The Genesys Cloud Open Messaging client: inbound message, receipt, event, structured response,
and the callbacks created for customers who tried to call on WhatsApp.

Create one per process on the shared :class:`~connectors.http.HttpTransport`, with one
:class:`~connectors.genesys.token.GenesysTokenCache`; pass each tenant's
:class:`~connectors.genesys.token.GenesysTenant` with every call. Bodies are our typed models
(``schemas.genesys``), which mirror Genesys's strict schemas, so they are valid by
construction.

Failures follow the reference's table (section 6): a 401 refreshes the token once and retries
once (a second 401 is :class:`GenesysCredentialsError`); 429 waits ``Retry-After``; 5xx backs
off; 400/403/404 are permanent. A message or structured response is not repeated after a
timeout (Genesys's idempotency on ``channel.messageId`` is unconfirmed); receipts and events
are. :meth:`GenesysClient.find_inbound` tells afterwards whether such a message was accepted.
A callback (:meth:`GenesysClient.create_callback`) is never repeated after a timeout either:
Genesys takes no idempotency key for it, so a second one would ring the customer twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from connectors.errors import ConnectorError
from connectors.genesys.errors import (
    GenesysCredentialsError,
    GenesysError,
    classify_genesys_error,
)
from connectors.genesys.token import GenesysTenant, GenesysTokenCache
from connectors.http import HttpResponse, HttpTransport, new_request_id
from connectors.retry import call_with_retries
from connectors.settings import GenesysClientSettings
from schemas.genesys import (
    OpenInboundNormalizedEvent,
    OpenInboundNormalizedMessage,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
)
from schemas.genesys.api import MessageConversation, MessageDataListing
from schemas.genesys.callbacks import (
    CreateCallbackCommand,
    CreateCallbackResponse,
    DomainEntityRef,
)

VENDOR: Final = "genesys"

RECENT_MESSAGES: Final = 100
"""How far back :meth:`GenesysClient.find_inbound` looks in a conversation (one bulk call)."""


@dataclass(frozen=True, slots=True)
class InboundAccepted:
    """Genesys's 200 answer to an inbound call.

    Attributes:
        id: the Genesys message id (``None`` if the answer had none).
        conversation_id: present with ``prefetchConversationId=true`` (unconfirmed otherwise).
        body: the whole answer as parsed JSON (an empty dict when it was not JSON).
    """

    id: str | None
    conversation_id: str | None
    body: dict[str, Any] = field(repr=False)


def _accepted(response: HttpResponse) -> InboundAccepted:
    try:
        parsed = json.loads(response.body) if response.body else {}
    except ValueError:
        parsed = {}
    body = parsed if isinstance(parsed, dict) else {}
    ident, conversation = body.get("id"), body.get("conversationId")
    return InboundAccepted(
        id=ident if isinstance(ident, str) else None,
        conversation_id=conversation if isinstance(conversation, str) else None,
        body=body,
    )


class GenesysClient:
    """Posts customer-side Open Messaging traffic to Genesys for any tenant."""

    def __init__(
        self,
        transport: HttpTransport,
        settings: GenesysClientSettings,
        tokens: GenesysTokenCache | None = None,
    ) -> None:
        self._transport = transport
        self._settings = settings
        self.tokens = tokens or GenesysTokenCache(transport, settings)

    async def send_message(
        self,
        tenant: GenesysTenant,
        body: OpenInboundNormalizedMessage,
        *,
        prefetch_conversation_id: bool = False,
    ) -> InboundAccepted:
        """``POST .../inbound/open/message``: a customer's text and/or attachments."""
        params = {"prefetchConversationId": "true"} if prefetch_conversation_id else None
        return await self._post(tenant, "message", body, idempotent=False, params=params)

    async def send_receipt(
        self, tenant: GenesysTenant, body: OpenInboundNormalizedReceipt
    ) -> InboundAccepted:
        """``POST .../inbound/open/receipt``: Delivered or Failed for an agent's message."""
        return await self._post(tenant, "receipt", body, idempotent=True)

    async def send_event(
        self, tenant: GenesysTenant, body: OpenInboundNormalizedEvent
    ) -> InboundAccepted:
        """``POST .../inbound/open/event``: the customer is typing."""
        return await self._post(tenant, "event", body, idempotent=True)

    async def send_structured_response(
        self, tenant: GenesysTenant, body: OpenInboundStructuredResponseMessage
    ) -> InboundAccepted:
        """``POST .../inbound/open/structured/response``: a button answer to a bot."""
        return await self._post(tenant, "structured/response", body, idempotent=False)

    async def create_callback(
        self, tenant: GenesysTenant, body: CreateCallbackCommand
    ) -> CreateCallbackResponse:
        """``POST /api/v2/conversations/callbacks``: a callback routed to ``body.queue_id``.

        Not idempotent: a timeout raises (``maybe_sent``) rather than trying again. A 2xx
        whose body is unreadable still means the callback exists: its id is then ``None``.
        """
        response = await self._authorized(
            tenant,
            "POST",
            f"{tenant.endpoints.api_url}/api/v2/conversations/callbacks",
            operation="create_callback",
            payload=_json_bytes(body),
            idempotent=False,
        )
        try:
            return CreateCallbackResponse.model_validate_json(response.body)
        except ValidationError:
            return CreateCallbackResponse(conversation=DomainEntityRef())

    async def find_inbound(
        self, tenant: GenesysTenant, conversation_id: str, provider_message_id: str
    ) -> str | None:
        """The Genesys id of the conversation's message carrying ``provider_message_id``.

        For a message whose answer was lost (a crash, a timeout): ``None`` when Genesys has
        no such message among the conversation's last :data:`RECENT_MESSAGES`, or no such
        conversation any more. Two reads: the conversation's message ids, then their
        ``MessageData`` in one bulk call.
        """
        base = f"{tenant.endpoints.api_url}/api/v2/conversations/messages/{conversation_id}"
        try:
            response = await self._authorized(tenant, "GET", base, operation="conversation")
        except GenesysError as exc:
            if exc.http_status == 404:
                return None
            raise
        conversation = MessageConversation.model_validate_json(response.body)
        ids = [m.message_id for p in conversation.participants for m in p.messages]
        if not ids:
            return None
        response = await self._authorized(
            tenant,
            "POST",
            f"{base}/messages/bulk",
            operation="messages_bulk",
            payload=json.dumps(ids[-RECENT_MESSAGES:]).encode(),
        )
        listing = MessageDataListing.model_validate_json(response.body)
        for message in listing.entities:
            if message.provider_message_id == provider_message_id:
                return message.id
        return None

    async def _post(
        self,
        tenant: GenesysTenant,
        kind: str,
        body: BaseModel,
        *,
        idempotent: bool,
        params: dict[str, str] | None = None,
    ) -> InboundAccepted:
        url = (
            f"{tenant.endpoints.api_url}/api/v2/conversations/messages/"
            f"{tenant.integration_id}/inbound/open/{kind}"
        )
        payload = _json_bytes(body)
        response = await self._authorized(
            tenant,
            "POST",
            url,
            operation=f"inbound_{kind.replace('/', '_')}",
            payload=payload,
            params=params,
            idempotent=idempotent,
        )
        return _accepted(response)

    async def call(
        self,
        tenant: GenesysTenant,
        method: str,
        path: str,
        *,
        operation: str,
        payload: bytes | None = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        """One Platform API call (``path`` under the tenant's API host) with its token.

        For the other API families wagen uses (integrations, the doctor's reads): the same
        token refresh, retries and error classes as the inbound calls.
        """
        return await self._authorized(
            tenant,
            method,
            f"{tenant.endpoints.api_url}{path}",
            operation=operation,
            payload=payload,
            params=params,
            idempotent=idempotent,
        )

    async def _authorized(
        self,
        tenant: GenesysTenant,
        method: str,
        url: str,
        *,
        operation: str,
        payload: bytes | None = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        """One API call with the tenant's token: a 2xx answer, or a classified error."""
        request_id = new_request_id()
        headers = {"Content-Type": "application/json"} if payload is not None else {}

        async def send(token: str) -> HttpResponse:
            return await self._transport.request(
                method,
                url,
                vendor=VENDOR,
                operation=operation,
                timeout_s=self._settings.timeout_s,
                request_id=request_id,
                headers={**headers, "Authorization": f"Bearer {token}"},
                params=params,
                data=payload,
                tenant_id=tenant.tenant_id,
            )

        async def token(stale: str | None = None) -> str:
            try:
                if stale is None:
                    return await self.tokens.token(tenant)
                return await self.tokens.refresh(tenant, stale=stale)
            except ConnectorError as exc:
                # The token fetch made its own retries already: do not multiply them.
                raise _TokenUnavailableError(exc) from exc

        async def attempt(_number: int) -> HttpResponse:
            current = await token()
            response = await send(current)
            if response.status == 401:
                # Expired or revoked: one new token, one more try.
                response = await send(await token(stale=current))
                if response.status == 401:
                    raise _refused_after_refresh(response, tenant)
            if not response.ok:
                raise classify_genesys_error(
                    response.status, response.body, response.headers, tenant_id=tenant.tenant_id
                )
            return response

        try:
            return await call_with_retries(
                attempt, self._settings.retry, idempotent=idempotent, what=f"{VENDOR} {operation}"
            )
        except _TokenUnavailableError as failed:
            raise failed.error from failed.error.__cause__


def _json_bytes(body: BaseModel) -> bytes:
    """A body as Genesys gets it: compact UTF-8 JSON, unset fields left out."""
    return json.dumps(
        body.model_dump(mode="json", exclude_none=True),
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


class _TokenUnavailableError(Exception):
    """Carries a token failure past the call's retry loop (it is not a ConnectorError)."""

    def __init__(self, error: ConnectorError) -> None:
        super().__init__(str(error))
        self.error = error


def _refused_after_refresh(
    response: HttpResponse, tenant: GenesysTenant
) -> GenesysCredentialsError:
    first = classify_genesys_error(
        response.status, response.body, response.headers, tenant_id=tenant.tenant_id
    )
    return GenesysCredentialsError(
        f"Genesys refused a freshly issued token for client {tenant.client_id!r}",
        http_status=response.status,
        genesys_code=first.genesys_code,
        context_id=first.context_id,
        body=first.body,
        reason="401 again right after a token refresh: the OAuth client lacks access",
        alert=True,
        tenant_id=tenant.tenant_id,
    )
