"""The Genesys simulator's read side of message conversations.

``GET /api/v2/conversations/messages/{conversationId}`` lists the conversation's
participants with the ids of their messages; ``POST .../{conversationId}/messages/bulk``
returns the ``MessageData`` of given ids, ``providerMessageId`` included. The bridge uses the
pair to find out whether a message whose answer it never saw was accepted (see
:mod:`pipeline.worker.reconcile`).
"""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from connectors.sandbox.common import apply_delay
from connectors.sandbox.genesys_api import (
    GENESYS_KEY,
    genesys_error,
    injected_failure,
    unauthorized,
)
from connectors.sandbox.genesys_state import GenesysSandbox, MessageConversation, StoredMessage

MAX_BULK_IDS: Final = 100
"""Ids one bulk request may name (the simulator's limit; Genesys's own is not documented)."""


async def conversation(request: web.Request) -> web.Response:
    """``GET /api/v2/conversations/messages/{conversationId}``."""
    sandbox = request.app[GENESYS_KEY]
    found, refusal = _authorized(request, sandbox, "conversation")
    if refusal is not None:
        return _logged(request, sandbox, "conversation", refusal)
    assert found is not None
    customer = {
        "id": f"{found.id}-customer",
        "purpose": "customer",
        "messages": [
            {"messageId": m.id, "messageStatus": "received", "messageTime": m.timestamp}
            for m in found.messages
        ],
    }
    body = {
        "id": found.id,
        "participants": [customer],
        "selfUri": f"/api/v2/conversations/messages/{found.id}",
    }
    return _logged(request, sandbox, "conversation", web.json_response(body))


async def messages_bulk(request: web.Request) -> web.Response:
    """``POST /api/v2/conversations/messages/{conversationId}/messages/bulk``."""
    sandbox = request.app[GENESYS_KEY]
    found, refusal = _authorized(request, sandbox, "messages_bulk")
    if refusal is not None:
        return _logged(request, sandbox, "messages_bulk", refusal)
    assert found is not None
    try:
        ids = json.loads(await request.read())
    except ValueError:
        ids = None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        response = genesys_error(400, "bad.request", "The body must be a list of message ids")
    elif len(ids) > MAX_BULK_IDS:
        response = genesys_error(
            400, "bad.request", f"At most {MAX_BULK_IDS} message ids per request"
        )
    else:
        wanted = set(ids)
        entities = [_message_data(m) for m in found.messages if m.id in wanted]
        response = web.json_response(
            {"entities": entities, "pageSize": len(entities), "pageNumber": 1}
        )
    return _logged(request, sandbox, "messages_bulk", response)


def _authorized(
    request: web.Request, sandbox: GenesysSandbox, operation: str
) -> tuple[MessageConversation | None, web.Response | None]:
    """The conversation asked for, or the error Genesys would answer instead."""
    ident = request.match_info["conversation_id"]
    found = sandbox.conversations.get(ident)
    scope = found.integration_id if found else None
    rule = apply_delay(request, sandbox.failures.take(scope, operation))
    if rule is not None:
        return None, injected_failure(rule)
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or sandbox.token_client(bearer.strip()) is None:
        return None, unauthorized()
    if found is None:
        return None, genesys_error(404, "not.found", f"Conversation {ident} not found")
    return found, None


def _message_data(message: StoredMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.id,
        "timestamp": message.timestamp,
        "fromAddress": message.from_address,
        "direction": "inbound",
        "messengerType": "open",
        "status": "received",
        "conversationId": message.conversation_id,
        "selfUri": (
            f"/api/v2/conversations/messages/{message.conversation_id}/messages/{message.id}"
        ),
    }
    if message.provider_message_id is not None:
        data["providerMessageId"] = message.provider_message_id
    if message.text is not None:
        data["textBody"] = message.text
    return data


def _logged(
    request: web.Request, sandbox: GenesysSandbox, operation: str, response: web.Response
) -> web.Response:
    scope = request.match_info["conversation_id"]
    sandbox.requests.record(
        request, operation=operation, scope=scope, status=response.status, body=None
    )
    return response
