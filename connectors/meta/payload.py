"""Decoding a Meta webhook body into :class:`~schemas.meta.webhook.WebhookPayload`.

Whatever is wrong with a body (not JSON, not an object, a required field missing or of the
wrong type), the one error raised is :class:`MetaPayloadError`, and its message names the
offending field as a JSON path (``entry[0].changes[0].value.metadata.phone_number_id``).
The body was already stored and acknowledged, so this error means "dead-letter it", never
"retry it": replaying the same bytes fails the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.errors import ConnectorError
from schemas.meta.webhook import WebhookPayload
from schemas.parsing import first_error


class MetaPayloadError(ConnectorError):
    """A Meta webhook body cannot be parsed.

    Attributes:
        field: the JSON path of the first offending field (``body`` for the whole body).
        reason: what is wrong with it.
    """

    code = "meta_payload_invalid"
    retriable = False

    def __init__(self, field: str, reason: str, *, tenant_id: str | None = None) -> None:
        super().__init__(f"invalid Meta webhook body: {field}: {reason}", tenant_id=tenant_id)
        self.field = field
        self.reason = reason

    @classmethod
    def from_validation(
        cls, exc: ValidationError, *, prefix: str = "", tenant_id: str | None = None
    ) -> MetaPayloadError:
        """Name the first field pydantic rejected (``prefix`` is prepended to its path)."""
        field, reason = first_error(exc, prefix=prefix)
        return cls(field, reason, tenant_id=tenant_id)


def decode_json(raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None) -> Any:
    """The JSON value of a body; anything but bytes or text is taken as already decoded.

    Raises:
        MetaPayloadError: not UTF-8 JSON, or nested too deeply to decode.
    """
    if not isinstance(raw, bytes | bytearray | str):
        return raw
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        reason = f"not valid JSON ({type(exc).__name__})"
        raise MetaPayloadError("body", reason, tenant_id=tenant_id) from exc


def parse_webhook(
    raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None
) -> WebhookPayload:
    """Decode and validate a webhook body.

    Raises:
        MetaPayloadError: the body is not a valid WhatsApp webhook; ``field`` says where.
    """
    data = decode_json(raw, tenant_id=tenant_id)
    if not isinstance(data, Mapping):
        raise MetaPayloadError("body", "expected a JSON object", tenant_id=tenant_id)
    try:
        return WebhookPayload.model_validate(data)
    except ValidationError as exc:
        raise MetaPayloadError.from_validation(exc, tenant_id=tenant_id) from exc
    except RecursionError as exc:  # absurdly deep nesting inside a kept-raw field
        raise MetaPayloadError("body", "nested too deeply", tenant_id=tenant_id) from exc
