"""The Meta simulator's business-account Graph routes: a number's description, a token's
debug view, a WABA's numbers and its webhook subscriptions.

* ``GET /{version}/{phone-number-id}`` — the number as Meta describes it (token checked
  against the number as for sends: 190 for a bad token, 100/33 for one that cannot reach it);
* ``GET /{version}/debug_token?input_token=`` — validity, scopes, and the WABAs the token
  manages in ``granular_scopes``;
* ``GET /{version}/{waba-id}/phone_numbers`` — the WABA's numbers (403, code 200, for a token
  of no number of that WABA);
* ``GET|POST|DELETE /{version}/{waba-id}/subscribed_apps`` — the token's app subscribed to the
  WABA's webhooks with an optional callback override. A POST with an override first checks it
  as Meta checks a callback: ``GET <url>?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…``
  must answer 200 with the challenge, else 422 (code 100, "Webhook callback URL is not
  reachable or invalid"); a WABA told to refuse answers 403 (code 200).

Failure rules apply per operation (``phone_number``, ``debug_token``, ``waba_phone_numbers``,
``subscribed_apps``, ``subscribe_app``, ``unsubscribe_app``), scoped by phone number or WABA id.
"""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import ValidationError

from connectors.sandbox.common import apply_delay
from connectors.sandbox.meta_control import SESSION_KEY
from connectors.sandbox.meta_graph import (
    META_KEY,
    graph_error,
    injected_failure,
    media_info,
    token_error,
)
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig, Subscription
from schemas.meta.business import SubscriptionRequest
from schemas.parsing import describe_validation_error

_SCOPES = ("whatsapp_business_management", "whatsapp_business_messaging")


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _gate(
    request: web.Request, operation: str, scope: str | None
) -> tuple[MetaSandbox, list[NumberConfig] | web.Response]:
    """Failure rules, then the token: its numbers, or the response to give."""
    sandbox = request.app[META_KEY]
    rule = apply_delay(request, sandbox.failures.take(scope, operation))
    if rule is not None:
        return sandbox, injected_failure(rule)
    token = _bearer(request)
    numbers = sandbox.token_numbers(token) if token else []
    if not numbers:
        return sandbox, token_error()
    return sandbox, numbers


def _finish(
    request: web.Request,
    sandbox: MetaSandbox,
    response: web.Response,
    operation: str,
    scope: str | None,
    body: Any = None,
) -> web.Response:
    sandbox.requests.record(
        request, operation=operation, scope=scope, status=response.status, body=body
    )
    return response


def _no_access(kind: str, ident: str) -> web.Response:
    return graph_error(403, 200, f"Your app doesn't have permission to access this {kind} {ident}")


def _describe(number: NumberConfig) -> dict[str, Any]:
    return {
        "id": number.phone_number_id,
        "display_phone_number": number.display_phone_number,
        "verified_name": number.verified_name,
        "quality_rating": number.quality_rating,
        "throughput": {"level": number.throughput_level},
        "status": number.status,
    }


async def graph_node(request: web.Request) -> web.Response:
    """``GET /{version}/{id}``: a business number's description, else a media look-up."""
    node = request.match_info["node_id"]
    sandbox = request.app[META_KEY]
    if node not in sandbox.numbers:
        return await media_info(request)
    sandbox, gate = _gate(request, "phone_number", node)
    if not isinstance(gate, web.Response):
        number = sandbox.numbers[node]
        if number not in gate:
            gate = graph_error(
                400,
                100,
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                subcode=33,
            )
        else:
            gate = web.json_response(_describe(number))
    return _finish(request, sandbox, gate, "phone_number", node)


async def debug_token(request: web.Request) -> web.Response:
    """``GET /{version}/debug_token?input_token=``: what the input token may do."""
    sandbox, gate = _gate(request, "debug_token", None)
    if not isinstance(gate, web.Response):
        inspected = sandbox.token_numbers(request.query.get("input_token", ""))
        wabas = list(dict.fromkeys(n.waba_id for n in inspected))
        data: dict[str, Any] = {
            "app_id": inspected[0].app_id if inspected else None,
            "type": "SYSTEM_USER",
            "application": "wagen sandbox app",
            "is_valid": bool(inspected),
            "scopes": list(_SCOPES) if inspected else [],
            "granular_scopes": [{"scope": s, "target_ids": wabas} for s in _SCOPES]
            if inspected
            else [],
        }
        gate = web.json_response({"data": data})
    return _finish(request, sandbox, gate, "debug_token", None)


def _waba_numbers(sandbox: MetaSandbox, waba_id: str) -> list[NumberConfig]:
    return [n for n in sandbox.numbers.values() if n.waba_id == waba_id]


async def waba_phone_numbers(request: web.Request) -> web.Response:
    """``GET /{version}/{waba-id}/phone_numbers``."""
    waba_id = request.match_info["waba_id"]
    sandbox, gate = _gate(request, "waba_phone_numbers", waba_id)
    if not isinstance(gate, web.Response):
        if not any(n.waba_id == waba_id for n in gate):
            gate = _no_access("WhatsApp Business Account", waba_id)
        else:
            found = [_describe(n) for n in _waba_numbers(sandbox, waba_id)]
            gate = web.json_response({"data": found})
    return _finish(request, sandbox, gate, "waba_phone_numbers", waba_id)


def _app_of(numbers: list[NumberConfig], waba_id: str) -> str | None:
    """The token's app, if the token may manage the WABA."""
    return next((n.app_id for n in numbers if n.waba_id == waba_id), None)


def _listing(sandbox: MetaSandbox, waba_id: str) -> dict[str, Any]:
    data = []
    for subscription in sandbox.subscriptions.get(waba_id, {}).values():
        entry: dict[str, Any] = {
            "whatsapp_business_api_data": {
                "id": subscription.app_id,
                "name": "wagen sandbox app",
                "link": f"https://www.facebook.com/games/?app_id={subscription.app_id}",
            }
        }
        if subscription.override_callback_uri:
            entry["override_callback_uri"] = subscription.override_callback_uri
        data.append(entry)
    return {"data": data}


async def subscribed_apps(request: web.Request) -> web.Response:
    """``GET /{version}/{waba-id}/subscribed_apps``."""
    waba_id = request.match_info["waba_id"]
    sandbox, gate = _gate(request, "subscribed_apps", waba_id)
    if not isinstance(gate, web.Response):
        if _app_of(gate, waba_id) is None:
            gate = _no_access("WhatsApp Business Account", waba_id)
        else:
            gate = web.json_response(_listing(sandbox, waba_id))
    return _finish(request, sandbox, gate, "subscribed_apps", waba_id)


async def subscribe_app(request: web.Request) -> web.Response:
    """``POST /{version}/{waba-id}/subscribed_apps``: subscribe, maybe with an override."""
    waba_id = request.match_info["waba_id"]
    sandbox, gate = _gate(request, "subscribe_app", waba_id)
    raw = await request.read()
    if not isinstance(gate, web.Response):
        gate = await _subscribe(request, sandbox, waba_id, _app_of(gate, waba_id), raw)
    return _finish(request, sandbox, gate, "subscribe_app", waba_id)


async def _subscribe(
    request: web.Request, sandbox: MetaSandbox, waba_id: str, app_id: str | None, raw: bytes
) -> web.Response:
    if app_id is None or waba_id in sandbox.refusing_wabas:
        return graph_error(
            403,
            200,
            "Your app doesn't have permission to subscribe to this WhatsApp Business Account",
        )
    override: str | None = None
    if raw.strip() not in (b"", b"{}"):
        try:
            body = SubscriptionRequest.model_validate_json(raw)
        except ValidationError as exc:
            return graph_error(
                400, 100, "Invalid parameter", details=describe_validation_error(exc)
            )
        if sandbox.verify_callbacks and not await _callback_answers(
            request.app[SESSION_KEY], body.override_callback_uri, body.verify_token
        ):
            return graph_error(422, 100, "Webhook callback URL is not reachable or invalid")
        override = body.override_callback_uri
    sandbox.subscriptions.setdefault(waba_id, {})[app_id] = Subscription(app_id, override)
    return web.json_response({"success": True})


async def _callback_answers(session: aiohttp.ClientSession, url: str, verify_token: str) -> bool:
    """Meta's callback check: the URL must echo the challenge for this verify token."""
    challenge = str(secrets.randbelow(10**9))
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    try:
        async with session.get(
            url, params=params, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            return response.status == 200 and (await response.text()).strip() == challenge
    except (TimeoutError, aiohttp.ClientError, ValueError):
        return False


async def unsubscribe_app(request: web.Request) -> web.Response:
    """``DELETE /{version}/{waba-id}/subscribed_apps``: the app's subscription goes."""
    waba_id = request.match_info["waba_id"]
    sandbox, gate = _gate(request, "unsubscribe_app", waba_id)
    if not isinstance(gate, web.Response):
        app_id = _app_of(gate, waba_id)
        if app_id is None:
            gate = _no_access("WhatsApp Business Account", waba_id)
        else:
            sandbox.subscriptions.get(waba_id, {}).pop(app_id, None)
            gate = web.json_response({"success": True})
    return _finish(request, sandbox, gate, "unsubscribe_app", waba_id)


def add_business_routes(app: web.Application, version: str) -> None:
    """Register the business-account routes (``version``: the path pattern of the version)."""
    routes = app.router
    routes.add_get(f"/{version}/debug_token", debug_token)
    routes.add_get(f"/{version}/{{waba_id:[0-9]+}}/phone_numbers", waba_phone_numbers)
    routes.add_get(f"/{version}/{{waba_id:[0-9]+}}/subscribed_apps", subscribed_apps)
    routes.add_post(f"/{version}/{{waba_id:[0-9]+}}/subscribed_apps", subscribe_app)
    routes.add_delete(f"/{version}/{{waba_id:[0-9]+}}/subscribed_apps", unsubscribe_app)
    routes.add_get(f"/{version}/{{node_id:[0-9]+}}", graph_node)
