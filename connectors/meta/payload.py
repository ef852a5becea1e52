"""Decoding a Meta webhook body into :class:`~schemas.meta.webhook.WebhookPayload`.

Whatever is wrong with a body (not JSON, not an object, a required field missing or of the
wrong type), the one error raised is :class:`MetaPayloadError`, and its message names the
offending field as a JSON path (``entry[0].changes[0].value.metadata.phone_number_id``).
The body was already stored and acknowledged, so this error means "dead-letter it", never
"retry it": replaying the same bytes fails the same way.

Items of a body (messages, statuses...) that fail are not errors here: they parse as
:class:`~schemas.parsing.Rejected` (see :mod:`schemas.meta.webhook`). Lone UTF-16
surrogates and NULs are replaced by U+FFFD while decoding (:mod:`schemas.json_body`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from connectors.errors import ConnectorError
from schemas.json_body import BodyDecodeError, DecodedBody, decode_body
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


@dataclass(frozen=True)
class ParsedWebhook:
    """A parsed body, and the JSON paths where lone surrogates or NULs became U+FFFD."""

    payload: WebhookPayload
    repaired: tuple[str, ...] = ()


def decode_json(
    raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None
) -> DecodedBody:
    """The JSON value of a body (a mapping is taken as decoded), lone surrogates and NULs replaced.

    Raises:
        MetaPayloadError: not UTF-8 JSON, or nested too deeply to decode.
    """
    try:
        return decode_body(raw)
    except BodyDecodeError as exc:
        raise MetaPayloadError("body", exc.reason, tenant_id=tenant_id) from exc


def read_webhook(
    raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None
) -> ParsedWebhook:
    """Decode and validate a webhook body; items that fail are kept as ``Rejected``.

    Raises:
        MetaPayloadError: the envelope is not a WhatsApp webhook; ``field`` says where.
    """
    decoded = decode_json(raw, tenant_id=tenant_id)
    if not isinstance(decoded.value, Mapping):
        raise MetaPayloadError("body", "expected a JSON object", tenant_id=tenant_id)
    try:
        payload = WebhookPayload.model_validate(decoded.value)
    except ValidationError as exc:
        raise MetaPayloadError.from_validation(exc, tenant_id=tenant_id) from exc
    except RecursionError as exc:  # absurdly deep nesting inside a kept-raw field
        raise MetaPayloadError("body", "nested too deeply", tenant_id=tenant_id) from exc
    return ParsedWebhook(payload, decoded.repaired)


def parse_webhook(
    raw: bytes | str | Mapping[str, Any], *, tenant_id: str | None = None
) -> WebhookPayload:
    """Decode and validate a webhook body (see :func:`read_webhook`).

    Raises:
        MetaPayloadError: the envelope is not a WhatsApp webhook; ``field`` says where.
    """
    return read_webhook(raw, tenant_id=tenant_id).payload
