"""The Meta simulator's webhooks beside messages and statuses: calls, business-app echoes,
marketing preferences.

Under ``/_sandbox/webhooks``: ``call`` (a customer rings the business number, or a call
ends), ``echo`` (the business sends, edits or deletes a message from the WhatsApp Business
app on the same number) and ``preference`` (a customer stops or resumes marketing messages).
Each is signed with the number's app secret and delivered to its webhook URL, in the shapes
Meta documents (and pywa records: ``tests/data/updates/call_connect.json``,
``outgoing_message.json``, ``user_marketing_preferences.json``). An echo opens no
customer-service window, as on WhatsApp; a call does not either.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from connectors.sandbox.common import ControlModel, read_control
from connectors.sandbox.ids import wamid
from connectors.sandbox.meta_control import emit_signed, envelope, registered_number
from connectors.sandbox.meta_graph import META_KEY

_WA_ID = r"^[0-9]{5,20}$"


class CallIn(ControlModel):
    """``POST /_sandbox/webhooks/call``: a WhatsApp call event on the business number.

    ``event`` ``connect`` is a call ringing (with an SDP offer for a user-initiated one),
    ``terminate`` its end (``status``, ``duration``). ``id`` defaults to a new call id.
    """

    phone_number_id: str
    from_: str = Field(alias="from", pattern=_WA_ID)
    name: str = "Ana Souza"
    event: Literal["connect", "terminate"] = "connect"
    direction: Literal["USER_INITIATED", "BUSINESS_INITIATED"] = "USER_INITIATED"
    id: str | None = Field(default=None, min_length=1)
    status: str | None = None
    duration: int | None = Field(default=None, ge=0)


class EchoIn(ControlModel):
    """``POST /_sandbox/webhooks/echo``: the business sends ``text`` to ``to`` from the app,
    or edits (``edit_of`` + ``text``) or deletes (``revoke_of``) an earlier send."""

    phone_number_id: str
    to: str = Field(pattern=_WA_ID)
    name: str = "Ana Souza"
    text: str | None = None
    edit_of: str | None = Field(default=None, min_length=1)
    revoke_of: str | None = Field(default=None, min_length=1)


class PreferenceIn(ControlModel):
    """``POST /_sandbox/webhooks/preference``: a customer's marketing choice."""

    phone_number_id: str
    wa_id: str = Field(pattern=_WA_ID)
    name: str = "Ana Souza"
    value: Literal["stop", "resume", "signup"] = "stop"
    category: str = "marketing_messages"


def _call_id() -> str:
    return "wacid." + secrets.token_urlsafe(24)


def _contacts(name: str, wa_id: str) -> list[dict[str, Any]]:
    return [{"profile": {"name": name}, "wa_id": wa_id}]


async def emit_call(request: web.Request) -> web.Response:
    """Emit a ``calls`` webhook."""
    spec = await read_control(request, CallIn)
    sandbox = request.app[META_KEY]
    number = registered_number(sandbox, spec.phone_number_id)
    business = number.display_phone_number
    caller, callee = (
        (spec.from_, business) if spec.direction == "USER_INITIATED" else (business, spec.from_)
    )
    call: dict[str, Any] = {
        "id": spec.id or _call_id(),
        "from": caller,
        "to": callee,
        "event": spec.event,
        "timestamp": str(int(sandbox.clock())),
        "direction": spec.direction,
    }
    if spec.event == "connect":
        sdp_type = "offer" if spec.direction == "USER_INITIATED" else "answer"
        call["session"] = {"sdp_type": sdp_type, "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n"}
    else:
        call["status"] = spec.status or "COMPLETED"
        if spec.duration is not None:
            call["duration"] = spec.duration
    value = {"contacts": _contacts(spec.name, spec.from_), "calls": [call]}
    return await emit_signed(request, number, envelope(number, value, field="calls"))


async def emit_echo(request: web.Request) -> web.Response:
    """Emit an ``smb_message_echoes`` webhook (no window opens)."""
    spec = await read_control(request, EchoIn)
    sandbox = request.app[META_KEY]
    number = registered_number(sandbox, spec.phone_number_id)
    echo: dict[str, Any] = {
        "from": number.display_phone_number,
        "to": spec.to,
        "id": wamid(spec.to, outbound=True),
        "timestamp": str(int(sandbox.clock())),
    }
    if spec.revoke_of is not None:
        echo.update(type="revoke", revoke={"original_message_id": spec.revoke_of})
    elif spec.edit_of is not None and spec.text is not None:
        edited = {"type": "text", "text": {"body": spec.text}}
        echo.update(type="edit", edit={"original_message_id": spec.edit_of, "message": edited})
    elif spec.text is not None and spec.edit_of is None:
        echo.update(type="text", text={"body": spec.text})
    else:
        raise web.HTTPUnprocessableEntity(text="give text, edit_of and text, or revoke_of")
    value = {"contacts": _contacts(spec.name, spec.to), "message_echoes": [echo]}
    return await emit_signed(request, number, envelope(number, value, field="smb_message_echoes"))


async def emit_preference(request: web.Request) -> web.Response:
    """Emit a ``user_preferences`` webhook."""
    spec = await read_control(request, PreferenceIn)
    sandbox = request.app[META_KEY]
    number = registered_number(sandbox, spec.phone_number_id)
    sentences = {
        "stop": "User requested to stop marketing messages",
        "resume": "User requested to resume marketing messages",
        "signup": "User signed up via signup link",
    }
    preference = {
        "wa_id": spec.wa_id,
        "detail": sentences[spec.value],
        "category": spec.category,
        "value": spec.value,
        # A number here, not a string: Meta writes this timestamp so.
        "timestamp": int(sandbox.clock()),
    }
    value = {"contacts": _contacts(spec.name, spec.wa_id), "user_preferences": [preference]}
    return await emit_signed(request, number, envelope(number, value, field="user_preferences"))


def install(app: web.Application, control_prefix: str) -> None:
    """Add the emitters to the simulator app."""
    app.router.add_post(f"{control_prefix}/webhooks/call", emit_call)
    app.router.add_post(f"{control_prefix}/webhooks/echo", emit_echo)
    app.router.add_post(f"{control_prefix}/webhooks/preference", emit_preference)
