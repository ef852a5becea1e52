"""The Meta simulator's control and inspection endpoints, and the webhooks it emits.

Under ``/_sandbox``: register numbers, revoke tokens, make a WABA refuse subscriptions,
list subscriptions, seed media, open windows, queue failures, emit signed message and status
webhooks, and read back every request received and every message accepted.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final, Literal, Self

import aiohttp
from aiohttp import web
from pydantic import Field, model_validator

from connectors.meta.errors import META_ERROR_CODES
from connectors.sandbox.common import (
    ControlModel,
    FailureRule,
    compact_json,
    deliver_signed,
    read_control,
)
from connectors.sandbox.ids import media_id, wamid
from connectors.sandbox.meta_graph import META_KEY
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig, StoredMedia, digits
from connectors.signatures import sign_meta
from schemas.meta import WebhookPayload
from schemas.meta.send_common import BSUID

SESSION_KEY: Final = web.AppKey("meta_webhook_session", aiohttp.ClientSession)


class RevokeToken(ControlModel):
    """``POST /_sandbox/tokens/revoke``: the token answers 190 from now on."""

    access_token: str = Field(min_length=1)


class MediaSeed(ControlModel):
    """``POST /_sandbox/media``: store a file as if uploaded (``id`` optional)."""

    phone_number_id: str
    data_b64: str
    mime_type: str
    id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")
    filename: str | None = None


class WindowSet(ControlModel):
    """``POST /_sandbox/windows``: the customer last wrote ``age_s`` seconds ago."""

    phone_number_id: str
    wa_id: str
    age_s: float = Field(default=0.0, ge=0)


class ImageIn(ControlModel):
    """The image of an emitted inbound message."""

    data_b64: str
    mime_type: str = "image/jpeg"
    caption: str | None = None


class Customer(ControlModel):
    """Who a customer is: their number, their business-scoped user id, or both.

    A customer with a ``user_id`` and no ``from`` is one who adopted a username and whose
    number Meta does not show (2026): the webhook then carries only the BSUID.
    """

    phone_number_id: str
    from_: str | None = Field(default=None, alias="from", pattern=r"^[0-9]{5,20}$")
    user_id: str | None = Field(default=None, pattern=f"^{BSUID.pattern}$")
    username: str | None = None
    name: str = "Ana Souza"

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if self.from_ is None and self.user_id is None:
            raise ValueError("give from, user_id, or both")
        return self


class InboundMessage(Customer):
    """``POST /_sandbox/webhooks/message``: a customer writes (this opens the window).

    Give ``text``, ``image``, or a raw ``type`` + ``content`` for any other kind. With
    ``group_id`` the customer writes in a group of the business (Groups API): the group's
    window opens, and sends to the group id (``recipient_type: group``) are accepted.
    """

    group_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_=\-]{8,200}$")
    text: str | None = None
    image: ImageIn | None = None
    type: str | None = None
    content: dict[str, Any] | None = None


class SystemChange(Customer):
    """``POST /_sandbox/webhooks/system``: the customer changed number or user id.

    ``from`` / ``user_id`` are the customer's ids before the change. A new number comes with
    a new BSUID (Meta generates one per number), given or derived here.
    """

    type: Literal["user_changed_number", "user_changed_user_id"]
    new_wa_id: str | None = Field(default=None, pattern=r"^[0-9]{5,20}$")
    new_user_id: str | None = Field(default=None, pattern=f"^{BSUID.pattern}$")


class PricingOut(ControlModel):
    """The ``pricing`` of an emitted status (per-message pricing, ``PMP``, since 2025-07)."""

    category: str = Field(default="service", min_length=1)
    billable: bool = True
    pricing_model: str = "PMP"
    type: str | None = None


class StatusOut(ControlModel):
    """``POST /_sandbox/webhooks/status``: Meta reports on one of our sent messages."""

    phone_number_id: str
    id: str = Field(min_length=1)
    status: Literal["sent", "delivered", "read", "failed", "played"]
    recipient_id: str | None = None
    error_code: int | None = None
    pricing: PricingOut | None = None


def _decode(data_b64: str) -> bytes:
    try:
        return base64.b64decode(data_b64, validate=True)
    except binascii.Error:
        raise web.HTTPUnprocessableEntity(text="data_b64 is not base64") from None


def _number(sandbox: MetaSandbox, phone_number_id: str) -> NumberConfig:
    number = sandbox.numbers.get(phone_number_id)
    if number is None:
        raise web.HTTPNotFound(text=f"no number {phone_number_id} registered")
    return number


async def add_number(request: web.Request) -> web.Response:
    """Register (or replace) a business number; its token becomes valid again."""
    config = await read_control(request, NumberConfig)
    sandbox = request.app[META_KEY]
    sandbox.numbers[config.phone_number_id] = config
    sandbox.revoked.discard(config.access_token)
    return web.json_response({"phone_number_id": config.phone_number_id})


class WabaSettings(ControlModel):
    """``POST /_sandbox/wabas``: whether a WABA refuses to subscribe apps (403, code 200)."""

    waba_id: str = Field(pattern=r"^[0-9]{1,30}$")
    refuse_subscriptions: bool = False


async def set_waba(request: web.Request) -> web.Response:
    """Make a WABA accept or refuse app subscriptions."""
    body = await read_control(request, WabaSettings)
    refusing = request.app[META_KEY].refusing_wabas
    if body.refuse_subscriptions:
        refusing.add(body.waba_id)
    else:
        refusing.discard(body.waba_id)
    return web.json_response(body.model_dump())


async def list_subscriptions(request: web.Request) -> web.Response:
    """Every app subscribed to every WABA, with its callback override."""
    found = [
        {"waba_id": waba, "app_id": s.app_id, "override_callback_uri": s.override_callback_uri}
        for waba, apps in request.app[META_KEY].subscriptions.items()
        for s in apps.values()
    ]
    return web.json_response({"subscriptions": found})


async def revoke_token(request: web.Request) -> web.Response:
    """Revoke a token."""
    body = await read_control(request, RevokeToken)
    request.app[META_KEY].revoked.add(body.access_token)
    return web.json_response({"revoked": True})


async def seed_media(request: web.Request) -> web.Response:
    """Store a file under a number."""
    body = await read_control(request, MediaSeed)
    ident = body.id or media_id()
    request.app[META_KEY].media[ident] = StoredMedia(
        ident, body.phone_number_id, _decode(body.data_b64), body.mime_type, body.filename
    )
    return web.json_response({"id": ident})


async def set_window(request: web.Request) -> web.Response:
    """Set when a customer last wrote."""
    body = await read_control(request, WindowSet)
    request.app[META_KEY].open_window(body.phone_number_id, body.wa_id, age_s=body.age_s)
    return web.json_response({"wa_id": digits(body.wa_id)})


async def add_failure(request: web.Request) -> web.Response:
    """Queue a failure rule."""
    rule = await read_control(request, FailureRule)
    request.app[META_KEY].failures.add(rule)
    return web.json_response(rule.model_dump(), status=201)


async def list_requests(request: web.Request) -> web.Response:
    """Every request received (filter with ``?operation=&scope=&status=``)."""
    return web.json_response({"requests": request.app[META_KEY].requests.select(request.query)})


async def list_sent(request: web.Request) -> web.Response:
    """Every message accepted, with its wamid."""
    return web.json_response({"sent": request.app[META_KEY].sent})


def _envelope(
    number: NumberConfig, value: dict[str, Any], field: str = "messages"
) -> dict[str, Any]:
    metadata = {
        "display_phone_number": number.display_phone_number,
        "phone_number_id": number.phone_number_id,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": number.waba_id,
                "changes": [
                    {
                        "field": field,
                        "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                    }
                ],
            }
        ],
    }


async def _emit(request: web.Request, number: NumberConfig, body: dict[str, Any]) -> web.Response:
    url = request.app[META_KEY].callback_of(number)
    if url is None or number.app_secret is None:
        raise web.HTTPConflict(
            text="the number has no callback (webhook_url or a WABA override) and app_secret"
        )
    # Our own schema must accept what we emit, or the simulator would test nothing.
    if rejected := WebhookPayload.model_validate(body).rejected():
        path, item = rejected[0]
        raise ValueError(
            f"the simulator built an invalid webhook: {item.where(path)}: {item.reason}"
        )
    raw = compact_json(body, ascii_only=True)
    status = await deliver_signed(
        request.app[SESSION_KEY], url, raw, sign_meta(raw, number.app_secret)
    )
    return web.json_response({"delivery_status": status, "body": body})


def _sender(spec: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    """The message's own sender fields and the ``contacts[]`` entry of a customer."""
    fields: dict[str, Any] = {}
    contact: dict[str, Any] = {"profile": {"name": spec.name}}
    if spec.username:
        contact["profile"]["username"] = spec.username
    if spec.from_:
        fields["from"] = contact["wa_id"] = spec.from_
    if spec.user_id:
        fields["from_user_id"] = contact["user_id"] = spec.user_id
    return fields, contact


def _learn(sandbox: MetaSandbox, spec: Customer) -> None:
    if spec.from_ and spec.user_id:
        sandbox.phones[spec.user_id] = spec.from_


async def emit_message(request: web.Request) -> web.Response:
    """Emit an inbound message webhook; the customer's (or group's) window opens."""
    spec = await read_control(request, InboundMessage)
    sandbox = request.app[META_KEY]
    number = _number(sandbox, spec.phone_number_id)
    now = sandbox.clock()
    sender, contact = _sender(spec)
    message: dict[str, Any] = {
        **sender,
        "id": wamid(spec.from_ or spec.user_id or "", outbound=False),
        "timestamp": str(int(now)),
    }
    if spec.group_id is not None:
        message["group_id"] = spec.group_id
        sandbox.groups[spec.group_id] = number.phone_number_id
    if spec.image is not None:
        data = _decode(spec.image.data_b64)
        stored = StoredMedia(media_id(), number.phone_number_id, data, spec.image.mime_type)
        sandbox.media[stored.id] = stored
        image = {"id": stored.id, "mime_type": stored.mime_type, "sha256": _b64_sha(stored)}
        if spec.image.caption:
            image["caption"] = spec.image.caption
        message.update(type="image", image=image)
    elif spec.text is not None:
        message.update(type="text", text={"body": spec.text})
    elif spec.type is not None:
        message.update({"type": spec.type, spec.type: spec.content or {}})
    else:
        raise web.HTTPUnprocessableEntity(text="give text, image, or type and content")
    _learn(sandbox, spec)
    customer = spec.group_id or spec.from_ or spec.user_id or ""
    sandbox.open_window(number.phone_number_id, customer)
    return await _emit(
        request, number, _envelope(number, {"contacts": [contact], "messages": [message]})
    )


async def emit_system(request: web.Request) -> web.Response:
    """Emit a ``system`` message: the customer changed number (and so BSUID) or user id."""
    spec = await read_control(request, SystemChange)
    sandbox = request.app[META_KEY]
    number = _number(sandbox, spec.phone_number_id)
    _learn(sandbox, spec)
    sender, contact = _sender(spec)
    system: dict[str, Any] = {"type": spec.type}
    if spec.type == "user_changed_number":
        if spec.new_wa_id is None:
            raise web.HTTPUnprocessableEntity(text="user_changed_number needs new_wa_id")
        new_user_id = spec.new_user_id or f"{(spec.user_id or 'US.')[:2]}.{spec.new_wa_id}9"
        system.update(
            body=f"{spec.name} changed from {spec.from_ or spec.user_id} to {spec.new_wa_id}",
            wa_id=spec.new_wa_id,
            user_id=new_user_id,
        )
        sandbox.phones[new_user_id] = spec.new_wa_id
        sandbox.carry_window(spec.from_ or spec.user_id or "", spec.new_wa_id)
    else:
        if spec.new_user_id is None:
            raise web.HTTPUnprocessableEntity(text="user_changed_user_id needs new_user_id")
        system.update(body=f"{spec.name} changed their user id", user_id=spec.new_user_id)
        if spec.from_:
            sandbox.phones[spec.new_user_id] = spec.from_
    message = {
        **sender,
        "id": wamid(spec.from_ or spec.user_id or "", outbound=False),
        "timestamp": str(int(sandbox.clock())),
        "type": "system",
        "system": system,
    }
    return await _emit(
        request, number, _envelope(number, {"contacts": [contact], "messages": [message]})
    )


async def emit_status(request: web.Request) -> web.Response:
    """Emit a status webhook for a message we sent (``failed`` carries ``error_code``)."""
    spec = await read_control(request, StatusOut)
    sandbox = request.app[META_KEY]
    number = _number(sandbox, spec.phone_number_id)
    sent = next((s for s in sandbox.sent if s["wamid"] == spec.id), None)
    recipient = spec.recipient_id or (_addressee(sent["body"]) if sent else None)
    if recipient is None:
        raise web.HTTPUnprocessableEntity(text="unknown wamid: give recipient_id")
    status: dict[str, Any] = {
        "id": spec.id,
        "status": spec.status,
        "timestamp": str(int(sandbox.clock())),
    }
    body = sent["body"] if sent else {}
    if body.get("recipient") and not spec.recipient_id:
        status["recipient_user_id"] = recipient  # sent by BSUID: Meta shows no number
    else:
        status["recipient_id"] = recipient
    if body.get("recipient_type") == "group":
        status["recipient_type"] = "group"
    callback = sent["body"].get("biz_opaque_callback_data") if sent else None
    if callback:
        status["biz_opaque_callback_data"] = callback
    if spec.pricing is not None:
        status["pricing"] = spec.pricing.model_dump(exclude_none=True)
    if spec.status == "failed":
        code = spec.error_code or 131000
        rule = META_ERROR_CODES.get(code)
        title = rule.reason if rule else "Something went wrong"
        status["errors"] = [
            {"code": code, "title": title, "message": title, "error_data": {"details": title}}
        ]
    return await _emit(request, number, _envelope(number, {"statuses": [status]}))


def _addressee(body: dict[str, Any]) -> str:
    """Whom a status reports on: the number's digits, the BSUID, or the group id."""
    if body.get("recipient"):
        return str(body["recipient"])
    to = str(body.get("to", ""))
    return to if body.get("recipient_type") == "group" else digits(to)


registered_number = _number
"""The number a control request names (404 when it is not registered)."""

envelope = _envelope
"""A webhook body of one change (``field``) of one number, as Meta batches them."""

emit_signed = _emit
"""Validate a body with our own schema, sign it with the number's app secret, deliver it."""


def _b64_sha(stored: StoredMedia) -> str:
    return base64.b64encode(bytes.fromhex(stored.sha256_hex)).decode("ascii")
