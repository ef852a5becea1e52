"""Genesys Cloud errors: the classification of HTTP failures and the receipt reason codes.

Genesys answers every API error with one body shape, ``{message, code, status, contextId,
details, errors, limit}`` (reference §6), and its meaning lives in the HTTP status, so the
classification table is keyed by status. ``contextId`` is what Genesys support asks for; it is
kept on every error, from the body or else from the ``ININ-Correlation-Id`` header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

from connectors.errors import ConnectorError, ErrorCategory

CORRELATION_HEADER: Final = "ININ-Correlation-Id"
"""Genesys's response header carrying the same id as the body's ``contextId``."""


class GenesysReceiptReason(StrEnum):
    """The 13 ``reasons[].code`` values of a ``Failed`` receipt (``/inbound/open/receipt``).

    The value is the exact spelling Genesys expects on the wire.
    """

    MESSAGE_EXPIRED = "MessageExpired"
    RATE_LIMITED = "RateLimited"
    MESSAGE_NOT_ALLOWED = "MessageNotAllowed"
    GENERAL_ERROR = "GeneralError"
    UNSUPPORTED_MESSAGE = "UnsupportedMessage"
    UNKNOWN_MESSAGE = "UnknownMessage"
    INVALID_MESSAGE_STRUCTURE = "InvalidMessageStructure"
    INVALID_DESTINATION = "InvalidDestination"
    SERVER_ERROR = "ServerError"
    MEDIA_TYPE_NOT_ALLOWED = "MediaTypeNotAllowed"
    INVALID_MEDIA_CONTENT_LENGTH = "InvalidMediaContentLength"
    RECIPIENT_OPTED_OUT = "RecipientOptedOut"
    DATA_FILTERED = "DataFiltered"


class GenesysError(ConnectorError):
    """A Genesys Cloud API call failed; subclasses say what to do about it.

    Attributes:
        http_status: the HTTP status Genesys answered.
        genesys_code: the body's ``code`` (``bad.request``, ``not.found``...), if any.
        context_id: the body's ``contextId`` or the ``ININ-Correlation-Id`` header.
        body: the error body as parsed JSON, or as text when it is not JSON.
        retry_after: seconds to wait, from ``Retry-After`` when the response has one.
        reason: why this category was chosen, in words.
        known_status: False when the status is not in the table and its class decided.
        alert: True when an operator has to fix something (permissions, integration id).
    """

    code = "genesys_error"
    category: ClassVar[ErrorCategory] = ErrorCategory.PERMANENT

    def __init__(
        self,
        message: str,
        *,
        http_status: int,
        genesys_code: str | None = None,
        context_id: str | None = None,
        body: object = None,
        retry_after: float | None = None,
        reason: str = "",
        known_status: bool = True,
        alert: bool = False,
        tenant_id: str | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.http_status = http_status
        self.genesys_code = genesys_code
        self.context_id = context_id
        self.body = body
        self.retry_after = retry_after
        self.reason = reason
        self.known_status = known_status
        self.alert = alert


class GenesysRetryableError(GenesysError):
    """Transient on Genesys's side (5xx): back off with jitter and retry."""

    code = "genesys_retryable"
    retriable = True
    category = ErrorCategory.RETRYABLE


class GenesysRateLimitedError(GenesysError):
    """429: wait ``retry_after`` seconds (when given), then retry, keeping per-customer order."""

    code = "genesys_rate_limited"
    retriable = True
    category = ErrorCategory.RATE_LIMITED


class GenesysTokenExpiredError(GenesysError):
    """401: fetch a new OAuth token once and retry the call once.

    Retriable, but only through a token refresh; a second 401 right after a refresh means the
    OAuth client itself is wrong, which the client reports instead of looping.
    """

    code = "genesys_token_expired"
    retriable = True
    category = ErrorCategory.REFRESH_TOKEN


class GenesysPermanentError(GenesysError):
    """400/403/404 and the like: the same call cannot succeed; do not retry."""

    code = "genesys_permanent"
    category = ErrorCategory.PERMANENT


class GenesysCredentialsError(GenesysError):
    """The OAuth client is wrong: the token endpoint refused it, or a fresh token got a 401.

    Raised by the client, never by status alone: a 401 first means "refresh the token"; only
    a refusal of the client credentials themselves means an operator must fix them.
    """

    code = "genesys_credentials_invalid"
    category = ErrorCategory.CREDENTIALS_INVALID


class GenesysAttachmentError(ConnectorError):
    """An agent's attachment cannot go to WhatsApp: too large, or not a file we can fetch.

    Not a failed API call (Genesys may have answered 200), so it has no HTTP status; the
    receipt reason says what to tell Genesys in the ``Failed`` receipt.
    """

    code = "genesys_attachment"
    category: ClassVar[ErrorCategory] = ErrorCategory.PERMANENT

    def __init__(
        self, message: str, *, receipt_reason: GenesysReceiptReason, tenant_id: str | None = None
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.receipt_reason = receipt_reason


GENESYS_ERROR_CLASSES: Mapping[ErrorCategory, type[GenesysError]] = MappingProxyType(
    {
        ErrorCategory.RETRYABLE: GenesysRetryableError,
        ErrorCategory.RATE_LIMITED: GenesysRateLimitedError,
        ErrorCategory.REFRESH_TOKEN: GenesysTokenExpiredError,
        ErrorCategory.PERMANENT: GenesysPermanentError,
    }
)
"""The class raised for each category Genesys failures fall into."""


@dataclass(frozen=True, slots=True)
class GenesysStatusRule:
    """What one HTTP status means when Genesys answers it."""

    category: ErrorCategory
    reason: str
    alert: bool = False


GENESYS_STATUS_RULES: Mapping[int, GenesysStatusRule] = MappingProxyType(
    {
        400: GenesysStatusRule(
            ErrorCategory.PERMANENT,
            "bad request: the body does not match Genesys's model; fix the mapper",
        ),
        401: GenesysStatusRule(
            ErrorCategory.REFRESH_TOKEN,
            "token missing or expired: refresh it once and retry once",
        ),
        403: GenesysStatusRule(
            ErrorCategory.PERMANENT,
            "missing scope or permission on the OAuth client",
            alert=True,
        ),
        404: GenesysStatusRule(
            ErrorCategory.PERMANENT,
            "not found: wrong integrationId or wrong region",
            alert=True,
        ),
        429: GenesysStatusRule(
            ErrorCategory.RATE_LIMITED,
            "rate limited: wait for Retry-After, then retry",
        ),
        # Genesys's SDKs retry every 5xx except this one: the endpoint will not start working.
        501: GenesysStatusRule(
            ErrorCategory.PERMANENT,
            "not implemented: retrying cannot help",
        ),
    }
)
"""Statuses with a documented meaning (reference §6)."""

GENESYS_STATUS_CLASS_FALLBACK: Mapping[int, GenesysStatusRule] = MappingProxyType(
    {
        5: GenesysStatusRule(ErrorCategory.RETRYABLE, "server error, transient"),
        4: GenesysStatusRule(ErrorCategory.PERMANENT, "client error"),
    }
)
"""By ``status // 100`` for statuses missing from the table; anything else is permanent."""

_UNEXPECTED_STATUS: Final = GenesysStatusRule(ErrorCategory.PERMANENT, "unexpected status")

_DELAY_SECONDS = re.compile(r"[0-9]+")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date.

    A date in the past means "now" (0). Anything unparseable gives ``None`` (no hint), so the
    caller falls back to its own backoff rather than trusting a garbled value. Capping a huge
    value is the retry policy's call, not the parser's.
    """
    if value is None:
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP-dates are always GMT; the parser leaves "-0000" zones naive.
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive lookup, since a plain dict is not a ``CIMultiDict``."""
    if not headers:
        return None
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _parse_body(body: object) -> object:
    """Parse raw bytes or text as JSON when possible; otherwise keep the text as it was."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def _text(fields: Mapping[str, object], key: str) -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) and value else None


def classify_genesys_error(
    http_status: int,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
    tenant_id: str | None = None,
) -> GenesysError:
    """Turn a failed Genesys response into the matching :class:`GenesysError` (not raised).

    Args:
        http_status: the response status.
        body: the body as parsed JSON, or raw ``bytes``/``str`` (parsed here when it is JSON).
        headers: response headers; ``Retry-After`` and ``ININ-Correlation-Id`` are read.
        now: the clock for an HTTP-date ``Retry-After`` (tests pin it).
        tenant_id: the tenant whose call failed.
    """
    rule = GENESYS_STATUS_RULES.get(http_status)
    known_status = rule is not None
    if rule is None:
        rule = GENESYS_STATUS_CLASS_FALLBACK.get(http_status // 100, _UNEXPECTED_STATUS)
    parsed = _parse_body(body)
    fields: Mapping[str, object] = parsed if isinstance(parsed, dict) else {}
    genesys_code = _text(fields, "code")
    context_id = _text(fields, "contextId") or _header(headers, CORRELATION_HEADER)
    # Kept whatever the status: a 503 may carry one too, and only retriable errors read it.
    retry_after = parse_retry_after(_header(headers, "Retry-After"), now=now)
    reason = rule.reason if known_status else f"HTTP {http_status} not in table: {rule.reason}"
    detail = _text(fields, "message") or reason
    return GENESYS_ERROR_CLASSES[rule.category](
        f"Genesys HTTP {http_status} ({genesys_code or 'no code'}): {detail}",
        http_status=http_status,
        genesys_code=genesys_code,
        context_id=context_id,
        body=parsed,
        retry_after=retry_after,
        reason=reason,
        known_status=known_status,
        alert=rule.alert,
        tenant_id=tenant_id,
    )
