"""The Meta simulator's Graph API: sends, mark-as-read, media upload, look-up and download.

Checks run in Meta's order: bearer token (190), the number's ownership (100, subcode 33),
the body against our send schemas (100, with the offending field in ``error_data.details``),
the 24-hour window (131047, templates exempt), then media references. Answers and error bodies
have Meta's shapes (reference sections 3 to 5).
"""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import BodyPartReader, web
from pydantic import ValidationError

from connectors.sandbox.common import FailureRule, apply_delay
from connectors.sandbox.ids import fbtrace_id, media_id, wamid
from connectors.sandbox.meta_state import (
    MEDIA_URL_TTL_S,
    RECIPIENT_SINCE,
    MetaSandbox,
    StoredMedia,
    digits,
)
from schemas.meta import SEND_BODY, MarkRead
from schemas.meta.errors import ErrorData, GraphError, GraphErrorResponse
from schemas.meta.media import MEDIA_MAX_BYTES, media_type_of
from schemas.meta.template import SendTemplate
from schemas.parsing import describe_validation_error

META_KEY: Final = web.AppKey("meta_sandbox", MetaSandbox)

WINDOW_CLOSED_DETAILS: Final = (
    "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number."
)


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    details: str | None = None,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A Graph error response: ``{"error": {message, type, code, error_data, fbtrace_id}}``."""
    body = GraphErrorResponse(
        error=GraphError(
            message=f"(#{code}) {message}",
            type="OAuthException",
            code=code,
            error_subcode=subcode,
            error_data=ErrorData(messaging_product="whatsapp", details=details or message),
            fbtrace_id=fbtrace_id(),
        )
    )
    return web.json_response(
        body.model_dump(mode="json", exclude_none=True), status=status, headers=headers
    )


def injected_failure(rule: FailureRule) -> web.Response:
    """The answer a failure rule asks for (429, 401 with code 190, or a 5xx)."""
    if rule.kind == "rate_limit":
        code = rule.code or 130429
        headers = {"Retry-After": str(rule.retry_after if rule.retry_after is not None else 1)}
        return graph_error(rule.status or 429, code, "Rate limit hit", headers=headers)
    if rule.kind == "bad_token":
        return token_error()
    code = rule.code or 131000
    return graph_error(rule.status or 500, code, "Something went wrong")


def token_error() -> web.Response:
    """Meta's answer to an unknown, expired or revoked token (401, code 190)."""
    return graph_error(
        401,
        190,
        "Error validating access token: The session has been invalidated.",
        subcode=463,
    )


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _gate(
    request: web.Request, operation: str, phone_number_id: str | None
) -> tuple[MetaSandbox, str | web.Response]:
    """Failure injection, then the bearer check; the token, or the response to give."""
    sandbox = request.app[META_KEY]
    rule = apply_delay(request, sandbox.failures.take(phone_number_id, operation))
    if rule is not None:
        return sandbox, injected_failure(rule)
    token = _bearer(request)
    if token is None or not sandbox.token_known(token):
        return sandbox, token_error()
    if phone_number_id is not None and not sandbox.may_use(token, phone_number_id):
        return sandbox, graph_error(
            400,
            100,
            f"Unsupported post request. Object with ID '{phone_number_id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation.",
            subcode=33,
        )
    return sandbox, token


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


async def send_messages(request: web.Request) -> web.Response:
    """``POST /{version}/{phone_number_id}/messages``."""
    number_id = request.match_info["phone_number_id"]
    raw = await request.read()
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = raw.decode("utf-8", errors="replace")
    sandbox, gate = await _gate(request, "messages", number_id)
    version = _version(request.match_info["version"])
    response = gate if isinstance(gate, web.Response) else _send(sandbox, number_id, data, version)
    return _finish(request, sandbox, response, "messages", number_id, data)


def _version(text: str) -> tuple[int, int]:
    major, _, minor = text.lstrip("v").partition(".")
    return int(major), int(minor or 0)


def _send(
    sandbox: MetaSandbox, number_id: str, data: Any, version: tuple[int, int]
) -> web.Response:
    if isinstance(data, dict) and "recipient" in data and version < RECIPIENT_SINCE:
        wanted = "v{}.{}".format(*RECIPIENT_SINCE)
        return graph_error(
            400, 100, "Invalid parameter", details=f"recipient is not a parameter before {wanted}"
        )
    try:
        body = SEND_BODY.validate_python(data)
    except ValidationError as exc:
        return graph_error(400, 100, "Invalid parameter", details=describe_validation_error(exc))
    if isinstance(body, MarkRead):
        return web.json_response({"success": True})
    addressee = body.addressee
    if body.recipient_type == "group" and sandbox.groups.get(addressee) != number_id:
        return graph_error(400, 131009, "Parameter value is not valid", details="unknown group")
    if not isinstance(body, SendTemplate) and not sandbox.window_open(number_id, addressee):
        return graph_error(400, 131047, "Re-engagement message", details=WINDOW_CLOSED_DETAILS)
    media = getattr(body, body.type, None)
    media_ref = getattr(media, "id", None) if body.type != "interactive" else None
    if isinstance(media_ref, str) and sandbox.media.get(media_ref) is None:
        return graph_error(400, 100, "Invalid parameter", details=f"media id {media_ref} not found")
    message_id = wamid(sandbox.customer(addressee), outbound=True)
    sandbox.sent.append({"wamid": message_id, "phone_number_id": number_id, "body": data})
    contact = (
        {"input": addressee, "user_id": addressee}
        if body.recipient is not None
        else {"input": addressee, "wa_id": digits(addressee)}
    )
    return web.json_response(
        {
            "messaging_product": "whatsapp",
            "contacts": [] if body.recipient_type == "group" else [contact],
            "messages": [{"id": message_id}],
        }
    )


async def upload_media(request: web.Request) -> web.Response:
    """``POST /{version}/{phone_number_id}/media`` (multipart)."""
    number_id = request.match_info["phone_number_id"]
    sandbox, gate = await _gate(request, "media_upload", number_id)
    if isinstance(gate, web.Response):
        return _finish(request, sandbox, gate, "media_upload", number_id)
    fields: dict[str, str] = {}
    file: tuple[bytes, str, str | None] | None = None
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            continue  # a nested multipart is not something Meta accepts either
        if part.name == "file":
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            file = (await part.read(), content_type, part.filename)
        elif part.name:
            fields[part.name] = await part.text()
    summary = {**fields, "file": None if file is None else {"bytes": len(file[0])}}
    response = _store_upload(sandbox, number_id, fields, file)
    return _finish(request, sandbox, response, "media_upload", number_id, summary)


def _store_upload(
    sandbox: MetaSandbox,
    number_id: str,
    fields: dict[str, str],
    file: tuple[bytes, str, str | None] | None,
) -> web.Response:
    if fields.get("messaging_product") != "whatsapp":
        return graph_error(400, 100, "The parameter messaging_product is required.")
    if file is None or "type" not in fields:
        return graph_error(400, 100, "The parameters file and type are required.")
    data, part_type, filename = file
    mime = media_type_of(fields["type"])
    limit = MEDIA_MAX_BYTES.get(mime)
    if limit is None or media_type_of(part_type) != mime:
        return graph_error(400, 131053, "Media upload error", details=f"unsupported type {mime}")
    if not data or len(data) > limit:
        return graph_error(400, 131053, "Media upload error", details=f"size over {limit}")
    ident = media_id()
    sandbox.media[ident] = StoredMedia(ident, number_id, data, fields["type"], filename)
    return web.json_response({"id": ident})


async def media_info(request: web.Request) -> web.Response:
    """``GET /{version}/{media_id}``: the short-lived download URL."""
    ident = request.match_info.get("media_id") or request.match_info["node_id"]
    sandbox, gate = await _gate(request, "media_info", None)
    if not isinstance(gate, web.Response):
        stored = sandbox.media.get(ident)
        if stored is None or not sandbox.may_use(gate, stored.phone_number_id):
            gate = graph_error(400, 100, f"Unsupported get request. Object with ID '{ident}'")
        else:
            expires = int(sandbox.clock()) + MEDIA_URL_TTL_S
            base = f"{request.url.origin()}/whatsapp_business/attachments/"
            url = f"{base}?mid={ident}&ext={expires}&hash={sandbox.media_signature(ident, expires)}"
            gate = web.json_response(
                {
                    "messaging_product": "whatsapp",
                    "url": url,
                    "mime_type": stored.mime_type,
                    "sha256": stored.sha256_hex,
                    "file_size": len(stored.data),
                    "id": ident,
                }
            )
    return _finish(request, sandbox, gate, "media_info", None)


async def media_download(request: web.Request) -> web.StreamResponse:
    """``GET /whatsapp_business/attachments/?mid=&ext=&hash=`` with the bearer token."""
    ident = request.query.get("mid", "")
    sandbox, gate = await _gate(request, "media_download", None)
    if not isinstance(gate, web.Response):
        stored = sandbox.media.get(ident)
        expires = int(request.query.get("ext", "0") or 0)
        signed = sandbox.media_signature(ident, expires) == request.query.get("hash")
        if stored is None or not signed or expires < sandbox.clock():
            gate = web.Response(status=404, text="URL expired or unknown")
        elif not sandbox.may_use(gate, stored.phone_number_id):
            gate = token_error()
        else:
            gate = web.Response(body=stored.data, content_type=media_type_of(stored.mime_type))
    return _finish(request, sandbox, gate, "media_download", None)


async def delete_media(request: web.Request) -> web.Response:
    """``DELETE /{version}/{media_id}``."""
    ident = request.match_info["media_id"]
    sandbox, gate = await _gate(request, "media_delete", None)
    if not isinstance(gate, web.Response):
        stored = sandbox.media.get(ident)
        if stored is None or not sandbox.may_use(gate, stored.phone_number_id):
            gate = graph_error(400, 100, f"Unsupported delete request. Object with ID '{ident}'")
        else:
            del sandbox.media[ident]
            gate = web.json_response({"success": True})
    return _finish(request, sandbox, gate, "media_delete", None)
