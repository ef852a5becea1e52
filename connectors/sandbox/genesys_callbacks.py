"""The Genesys simulator's callbacks: ``POST /api/v2/conversations/callbacks``, and its queues.

A callback needs a bearer token of a registered client, a body our
:class:`~schemas.genesys.callbacks.CreateCallbackCommand` accepts strictly (JSON types as
written, unknown fields refused), E.164 callback numbers, and a queue registered with
``POST /_sandbox/queues`` (Genesys refuses an unknown queue with a 400 too). Accepted
callbacks are kept in order (``GenesysSandbox.callbacks``) and listed by
``GET /_sandbox/callbacks``; each opens a
conversation of its own, whose id the answer carries (``CreateCallbackResponse``).
Failures are injected with the operation ``callbacks`` and the client id as scope.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from typing import Final

from aiohttp import web
from pydantic import ValidationError

from connectors.sandbox.common import apply_delay, read_control
from connectors.sandbox.genesys_api import (
    GENESYS_KEY,
    bad_request,
    genesys_error,
    injected_failure,
    unauthorized,
)
from connectors.sandbox.genesys_state import QueueConfig, StoredCallback
from schemas.genesys.callbacks import CreateCallbackCommand

_E164: Final = re.compile(r"\+[1-9][0-9]{4,19}")


async def create_callback(request: web.Request) -> web.Response:
    """``POST /api/v2/conversations/callbacks`` (permission ``conversation:callback:create``)."""
    sandbox = request.app[GENESYS_KEY]
    raw = await request.read()
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    client = sandbox.token_client(bearer.strip()) if scheme.lower() == "bearer" else None
    response = _create(request, client, raw)
    sandbox.requests.record(
        request,
        operation="callbacks",
        scope=client,
        status=response.status,
        body=raw.decode("utf-8", errors="replace"),
    )
    return response


def _create(request: web.Request, client: str | None, raw: bytes) -> web.Response:
    sandbox = request.app[GENESYS_KEY]
    rule = apply_delay(request, sandbox.failures.take(client, "callbacks"))
    if rule is not None:
        return injected_failure(rule)
    if client is None:
        return unauthorized()
    try:
        body = CreateCallbackCommand.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        return bad_request(exc)
    wrong = [n for n in body.callback_numbers if not _E164.fullmatch(n)]
    if wrong:
        return genesys_error(400, "bad.request", f"Invalid callback number: {wrong[0]}")
    if body.queue_id not in sandbox.queues:
        return genesys_error(400, "bad.request", f"Queue {body.queue_id} not found")
    stored = StoredCallback(
        conversation_id=str(uuid.uuid4()),
        callback_id=str(uuid.uuid4()),
        client_id=client,
        queue_id=body.queue_id,
        numbers=list(body.callback_numbers),
        user_name=body.callback_user_name,
        data=dict(body.data or {}),
    )
    sandbox.callbacks.append(stored)
    return web.json_response(
        {
            "conversation": {
                "id": stored.conversation_id,
                "selfUri": f"/api/v2/conversations/{stored.conversation_id}",
            },
            "callbackIdentifiers": [{"type": "EXTERNAL", "id": stored.callback_id}],
        }
    )


async def add_queue(request: web.Request) -> web.Response:
    """Register (or rename) a queue."""
    config = await read_control(request, QueueConfig)
    request.app[GENESYS_KEY].queues[config.queue_id] = config
    return web.json_response({"queue_id": config.queue_id})


async def list_callbacks(request: web.Request) -> web.Response:
    """Every callback accepted, in order."""
    callbacks = request.app[GENESYS_KEY].callbacks
    return web.json_response({"callbacks": [asdict(c) for c in callbacks]})


def install(app: web.Application, control_prefix: str) -> None:
    """Add the callback routes to the simulator app."""
    app.router.add_post("/api/v2/conversations/callbacks", create_callback)
    app.router.add_post(f"{control_prefix}/queues", add_queue)
    app.router.add_get(f"{control_prefix}/callbacks", list_callbacks)
