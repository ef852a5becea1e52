"""Meta (Graph API / WhatsApp Cloud API) errors and their classification, as tables.

Meta's meaning lives in ``error.code``, not in the HTTP status ("HTTP status codes are not
documented per error code; rely on ``code``", reference §5), so :data:`META_ERROR_CODES` is
keyed by code, and the HTTP status only decides for codes the table does not know. The same
table says which Genesys receipt reason a failed send becomes, so an agent-side ``Failed``
receipt and our retry decision can never disagree about what happened.

``error_subcode`` is deprecated by Meta and ``message`` titles are being phased out: both are
kept for the log line, neither is used to decide.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

from connectors.errors import ConnectorError, ErrorCategory
from connectors.genesys.errors import GenesysReceiptReason as Receipt


class MetaError(ConnectorError):
    """A Graph API call failed, or a webhook reported an error; subclasses say what to do.

    Attributes:
        vendor_code: Meta's ``code`` (``None`` when the body had none).
        error_subcode: Meta's deprecated ``error_subcode``, for support tickets only.
        fbtrace_id: Meta's trace id; log it, Meta support asks for it.
        http_status: the HTTP status, or ``None`` for an error that came in a webhook.
        details: ``error_data.details``, Meta's text for humans.
        title: the webhook ``title`` or the Graph ``message``.
        error_type: the Graph ``type`` (``OAuthException``...).
        reason: why this category was chosen, in words.
        receipt_reason: the Genesys receipt reason this failure maps to.
        known_code: False when ``vendor_code`` is not in the table and the status decided.
        alert: True when an operator has to act (token, account, template, quality).
        retry_after: seconds to wait, from the response's ``Retry-After`` header, if any.
    """

    code = "meta_error"
    category: ClassVar[ErrorCategory] = ErrorCategory.PERMANENT

    def __init__(
        self,
        message: str,
        *,
        vendor_code: int | None = None,
        error_subcode: int | None = None,
        fbtrace_id: str | None = None,
        http_status: int | None = None,
        details: str | None = None,
        title: str | None = None,
        error_type: str | None = None,
        reason: str = "",
        receipt_reason: Receipt = Receipt.GENERAL_ERROR,
        known_code: bool = True,
        alert: bool = False,
        retry_after: float | None = None,
        tenant_id: str | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.retry_after = retry_after
        self.vendor_code = vendor_code
        self.error_subcode = error_subcode
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.details = details
        self.title = title
        self.error_type = error_type
        self.reason = reason
        self.receipt_reason = receipt_reason
        self.known_code = known_code
        self.alert = alert

    @property
    def receipt_message(self) -> str:
        """The ``reasons[].message`` of the Genesys ``Failed`` receipt (required there)."""
        code = "unknown code" if self.vendor_code is None else str(self.vendor_code)
        # Our curated wording for a known code; Meta's own words say more about an unknown one.
        text = self.reason if self.known_code else (self.details or self.title or self.reason)
        return f"WhatsApp {code}: {text}"


class MetaRetryableError(MetaError):
    """A failure on Meta's side: retry a bounded number of times with backoff."""

    code = "meta_retryable"
    retriable = True
    category = ErrorCategory.RETRYABLE


class MetaRateLimitedError(MetaError):
    """Throughput, pair-rate or API-call limit: back off (per number or per recipient)."""

    code = "meta_rate_limited"
    retriable = True
    category = ErrorCategory.RATE_LIMITED


class MetaWindowClosedError(MetaError):
    """The 24-hour customer-service window is closed: only an approved template can go out."""

    code = "meta_window_closed"
    category = ErrorCategory.WINDOW_CLOSED


class MetaCredentialsError(MetaError):
    """The tenant's token is expired or invalid, or lacks a permission: stop and page ops."""

    code = "meta_credentials_invalid"
    category = ErrorCategory.CREDENTIALS_INVALID


class MetaPermanentError(MetaError):
    """The request cannot succeed as sent (bad input, recipient, policy, template)."""

    code = "meta_permanent"
    category = ErrorCategory.PERMANENT


class MetaMediaIntegrityError(MetaRetryableError):
    """Downloaded media does not match the ``sha256`` Meta gave: look it up and fetch again."""

    code = "meta_media_integrity"


META_ERROR_CLASSES: Mapping[ErrorCategory, type[MetaError]] = MappingProxyType(
    {
        ErrorCategory.RETRYABLE: MetaRetryableError,
        ErrorCategory.RATE_LIMITED: MetaRateLimitedError,
        ErrorCategory.WINDOW_CLOSED: MetaWindowClosedError,
        ErrorCategory.CREDENTIALS_INVALID: MetaCredentialsError,
        ErrorCategory.PERMANENT: MetaPermanentError,
    }
)
"""The class built for each category Meta failures fall into."""


@dataclass(frozen=True, slots=True)
class MetaCodeRule:
    """What one Meta error code means for the bridge.

    Attributes:
        category: what to do about it (retry, wait, stop...).
        receipt_reason: the Genesys ``Failed`` receipt reason it becomes.
        reason: what happened, in words; kept on the error and sent in the receipt.
        alert: whether an operator must act (token, account, template, quality).
    """

    category: ErrorCategory
    receipt_reason: Receipt
    reason: str
    alert: bool = False


_RETRY, _RATE, _WINDOW, _CREDS, _PERM = (
    ErrorCategory.RETRYABLE,
    ErrorCategory.RATE_LIMITED,
    ErrorCategory.WINDOW_CLOSED,
    ErrorCategory.CREDENTIALS_INVALID,
    ErrorCategory.PERMANENT,
)

# Codes, meanings and retry decisions come from reference/meta-whatsapp.md §5 and
# meta-whatsapp-sources.md §4; receipt reasons are our choice, following the Genesys reference
# §5 where it names one. One row per group of codes that Meta documents together.
_R = MetaCodeRule
# fmt: off
_ROWS: tuple[tuple[Iterable[int], MetaCodeRule], ...] = (
    ((131047,), _R(_WINDOW, Receipt.MESSAGE_EXPIRED,
                   "customer service window closed (over 24 h since the customer wrote); "
                   "send a template")),
    ((130429,), _R(_RATE, Receipt.RATE_LIMITED, "throughput of the business number exceeded")),
    ((131056,), _R(_RATE, Receipt.RATE_LIMITED,
                   "pair rate limit: too many messages to this customer; "
                   "other recipients are unaffected")),
    ((4, 80007), _R(_RATE, Receipt.RATE_LIMITED, "app or WABA API-call rate limit reached")),
    ((131000,), _R(_RETRY, Receipt.SERVER_ERROR, "something went wrong on Meta's side")),
    ((1, 2, 131016, 133004), _R(_RETRY, Receipt.SERVER_ERROR,
                                "Meta server error or temporary unavailability")),
    ((131057,), _R(_RETRY, Receipt.SERVER_ERROR,
                   "business account in maintenance or throughput upgrade (up to a minute)")),
    ((131026,), _R(_PERM, Receipt.INVALID_DESTINATION,
                   "undeliverable: not on WhatsApp, old app, or terms not accepted")),
    ((131021,), _R(_PERM, Receipt.INVALID_DESTINATION,
                   "sender and recipient are the same number")),
    ((131051,), _R(_PERM, Receipt.UNSUPPORTED_MESSAGE, "unsupported message type")),
    ((131060,), _R(_PERM, Receipt.UNSUPPORTED_MESSAGE,
                   "message not available (first contact on a coexistence number)")),
    ((100, 131008, 131009), _R(_PERM, Receipt.INVALID_MESSAGE_STRUCTURE,
                               "invalid, missing or unsupported parameter")),
    ((131053,), _R(_PERM, Receipt.MEDIA_TYPE_NOT_ALLOWED,
                   "media upload failed: unsupported type, or MIME type does not match the file")),
    ((131052,), _R(_PERM, Receipt.INVALID_MEDIA_CONTENT_LENGTH,
                   "media not downloadable or larger than 100 MB")),
    ((132000,), _R(_PERM, Receipt.INVALID_MESSAGE_STRUCTURE,
                   "template parameter count does not match", alert=True)),
    ((132001,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED,
                   "template missing or not approved in this language", alert=True)),
    ((132005,), _R(_PERM, Receipt.INVALID_MESSAGE_STRUCTURE,
                   "template text too long", alert=True)),
    ((132007,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED,
                   "template violates a format policy", alert=True)),
    ((132012,), _R(_PERM, Receipt.INVALID_MESSAGE_STRUCTURE,
                   "template parameter format does not match", alert=True)),
    ((132015,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "template paused", alert=True)),
    ((132016,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "template disabled", alert=True)),
    ((132068,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "Flow blocked", alert=True)),
    ((132069,), _R(_PERM, Receipt.RATE_LIMITED, "Flow throttled", alert=True)),
    ((131048,), _R(_PERM, Receipt.RATE_LIMITED,
                   "spam rate limit: too many messages blocked or flagged; check quality",
                   alert=True)),
    ((131049,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED,
                   "not delivered for ecosystem engagement (marketing per-user limit); "
                   "do not retry within 24 h")),
    ((131050,), _R(_PERM, Receipt.RECIPIENT_OPTED_OUT, "customer stopped marketing messages")),
    ((130472,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "customer is part of a Meta experiment")),
    ((130403,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "the business blocked this customer")),
    ((190, 0, 3, 10, *range(200, 300), 131005),
     _R(_CREDS, Receipt.GENERAL_ERROR,
        "access token expired or invalid, or permission missing", alert=True)),
    ((368,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "blocked for a policy violation", alert=True)),
    ((131031,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED, "business account locked", alert=True)),
    ((130497,), _R(_PERM, Receipt.MESSAGE_NOT_ALLOWED,
                   "business account may not message this country", alert=True)),
    ((131042,), _R(_PERM, Receipt.GENERAL_ERROR, "business account billing problem", alert=True)),
    ((131045,), _R(_PERM, Receipt.GENERAL_ERROR,
                   "business phone number not registered", alert=True)),
    ((131037,), _R(_PERM, Receipt.GENERAL_ERROR, "display name not approved", alert=True)),
)
# fmt: on


def _build(rows: Iterable[tuple[Iterable[int], MetaCodeRule]]) -> Mapping[int, MetaCodeRule]:
    """Expand the grouped rows into one entry per code, refusing a code listed twice."""
    table: dict[int, MetaCodeRule] = {}
    for codes, rule in rows:
        for code in codes:
            if code in table:
                raise ValueError(f"Meta error code {code} is listed twice")
            table[code] = rule
    return MappingProxyType(table)


META_ERROR_CODES: Final = _build(_ROWS)
"""Every Meta error code the reference documents → category, receipt reason, reason."""

META_STATUS_FALLBACK: Mapping[int, ErrorCategory] = MappingProxyType(
    {429: ErrorCategory.RATE_LIMITED}
)
"""HTTP statuses that decide for an unknown code, before :data:`META_STATUS_CLASS_FALLBACK`."""

META_STATUS_CLASS_FALLBACK: Mapping[int, ErrorCategory] = MappingProxyType(
    {5: ErrorCategory.RETRYABLE}
)
"""By ``status // 100``; anything else unknown (4xx, or no status at all) is permanent."""


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _error_object(body: object) -> Mapping[str, object]:
    """Find the error object in a Graph response (``{"error": {...}}``) or a webhook item."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    if not isinstance(body, dict):
        return {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def _fallback(http_status: int | None) -> ErrorCategory:
    if http_status is None:
        # A webhook error reports a send that already failed: nothing to retry by status.
        return ErrorCategory.PERMANENT
    return META_STATUS_FALLBACK.get(
        http_status, META_STATUS_CLASS_FALLBACK.get(http_status // 100, ErrorCategory.PERMANENT)
    )


def classify_meta_error(
    http_status: int | None,
    body: object,
    *,
    retry_after: float | None = None,
    tenant_id: str | None = None,
) -> MetaError:
    """Turn a Meta failure into the matching :class:`MetaError` (returned, not raised).

    Args:
        http_status: the Graph response status, or ``None`` for an error from a webhook.
        body: a Graph error response (``{"error": {...}}``), one ``errors[]`` item of a
            webhook (``{"code", "title", "message", "error_data"}``), or either as raw
            ``bytes``/``str``. Anything unparseable is classified by status alone.
        retry_after: the response's ``Retry-After`` in seconds, kept on the error.
        tenant_id: the tenant concerned.
    """
    error = _error_object(body)
    vendor_code = _int(error.get("code"))
    error_data = error.get("error_data")
    details = _str(error_data.get("details")) if isinstance(error_data, dict) else None
    title = _str(error.get("title")) or _str(error.get("message"))
    rule = None if vendor_code is None else META_ERROR_CODES.get(vendor_code)
    known_code = rule is not None
    if rule is None:
        category = _fallback(http_status)
        unknown = "no error code" if vendor_code is None else f"code {vendor_code} not in table"
        status = "no HTTP status" if http_status is None else f"HTTP {http_status}"
        rule = MetaCodeRule(category, Receipt.GENERAL_ERROR, f"{unknown}; {category} by {status}")
    shown_code = "no code" if vendor_code is None else f"code {vendor_code}"
    return META_ERROR_CLASSES[rule.category](
        f"Meta error ({shown_code}): {details or title or rule.reason}",
        vendor_code=vendor_code,
        error_subcode=_int(error.get("error_subcode")),
        fbtrace_id=_str(error.get("fbtrace_id")),
        http_status=http_status,
        details=details,
        title=title,
        error_type=_str(error.get("type")),
        reason=rule.reason,
        receipt_reason=rule.receipt_reason,
        known_code=known_code,
        alert=rule.alert,
        retry_after=retry_after,
        tenant_id=tenant_id,
    )


class HandshakeRejection(StrEnum):
    """Why Meta's GET verification handshake was refused (each answers 403)."""

    MODE = "mode"
    """``hub.mode`` is not ``subscribe``."""

    # A rejection name, not a credential.
    TOKEN = "token"  # noqa: S105
    """``hub.verify_token`` is missing or matches none of the tenant's verify tokens."""

    CHALLENGE = "challenge"
    """``hub.challenge`` is missing or empty: there is nothing to echo."""


class MetaHandshakeError(ConnectorError):
    """The webhook subscription handshake was refused; Meta will not send events.

    Attributes:
        rejection: which check failed.
    """

    code = "meta_handshake_rejected"

    def __init__(self, rejection: HandshakeRejection, *, tenant_id: str | None = None) -> None:
        # Never echo the token received or expected.
        super().__init__(f"Meta handshake rejected: {rejection.value}", tenant_id=tenant_id)
        self.rejection = rejection
