"""Errors of the connectors: the category root, the shared failure categories, signatures.

Every vendor failure is classified exactly once, here in ``connectors`` (ARCHITECTURE: "Errors
are classified once"), into one :class:`ErrorCategory`. The pipeline then decides by class and
attribute (``retriable``, ``category``), never by re-reading vendor codes or messages.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from schemas.errors import WagenError


class ErrorCategory(StrEnum):
    """What the caller should do about a vendor failure.

    The values are stable strings because they travel in retry records and log lines.
    """

    RETRYABLE = "retryable"
    """Transient on the vendor's side: retry with backoff, a bounded number of times."""

    RATE_LIMITED = "rate_limited"
    """We sent too fast: wait (``Retry-After`` when given), slow down, then retry."""

    WINDOW_CLOSED = "window_closed"
    """WhatsApp's 24-hour customer-service window is closed: only a template can go out."""

    CREDENTIALS_INVALID = "credentials_invalid"
    """The tenant's token or permissions are wrong: stop sending and alert; retrying is useless."""

    # A category name, not a credential.
    REFRESH_TOKEN = "refresh_token"  # noqa: S105
    """The access token expired: fetch a new one, then retry once."""

    PERMANENT = "permanent"
    """The request itself cannot succeed (bad input, blocked recipient, policy): do not retry."""


class ConnectorError(WagenError):
    """Category root for everything that talks to Meta or Genesys.

    Attributes:
        attempts: how many HTTP attempts were made before this error was raised (the
            clients set it; 1 for an error that was not retried).
    """

    code = "connector_error"
    attempts: int = 1


class ConnectorTransportError(ConnectorError):
    """No usable HTTP answer: a timeout, a refused or reset connection, a truncated body.

    Transient by nature, so retriable; but a request that may have reached the vendor
    (``maybe_sent``) is not safe to repeat blindly when the call is not idempotent (a Meta
    send has no idempotency key: a retry can deliver the message twice).

    Attributes:
        vendor: ``"meta"`` or ``"genesys"``.
        operation: what was being done (``send``, ``media_upload``, ``token``...).
        timed_out: the call's timeout expired (as opposed to a connection failure).
        maybe_sent: the request may have been received and acted on by the vendor.
        request_id: our ``X-Request-Id`` of the call, to find it in logs.
    """

    code = "connector_transport"
    retriable = True
    category: ClassVar[ErrorCategory] = ErrorCategory.RETRYABLE

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        operation: str,
        timed_out: bool,
        maybe_sent: bool,
        request_id: str,
        tenant_id: str | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.vendor = vendor
        self.operation = operation
        self.timed_out = timed_out
        self.maybe_sent = maybe_sent
        self.request_id = request_id


class SignatureFailure(StrEnum):
    """Why a webhook signature was refused.

    Kept apart so a handler can answer 401 for a missing header and 403 for the rest, as pywa
    does, without ever saying which secret was tried.
    """

    MISSING = "missing"
    """No ``X-Hub-Signature-256`` header, or an empty one."""

    MALFORMED = "malformed"
    """Wrong prefix or wrong encoding (hex where base64 is due, or the reverse)."""

    MISMATCH = "mismatch"
    """Well-formed, but no configured secret produces it over these exact bytes."""


class SignatureError(ConnectorError):
    """A webhook body failed its signature check; the body must be dropped unprocessed.

    Attributes:
        vendor: ``"meta"`` or ``"genesys"``, for the log line.
        failure: which check failed.
    """

    code = "signature_invalid"
    failure: ClassVar[SignatureFailure] = SignatureFailure.MISMATCH

    def __init__(self, vendor: str, *, tenant_id: str | None = None) -> None:
        # The message names the vendor and the failure only: never a secret, digest or header.
        super().__init__(f"{vendor} webhook signature {self.failure.value}", tenant_id=tenant_id)
        self.vendor = vendor


class SignatureMissingError(SignatureError):
    """The signature header is absent or empty."""

    code = "signature_missing"
    failure = SignatureFailure.MISSING


class SignatureMalformedError(SignatureError):
    """The signature header is not ``sha256=`` followed by the vendor's digest encoding."""

    code = "signature_malformed"
    failure = SignatureFailure.MALFORMED


class SignatureMismatchError(SignatureError):
    """The signature is well-formed but matches none of the configured secrets."""

    code = "signature_mismatch"
    failure = SignatureFailure.MISMATCH


SIGNATURE_ERRORS: dict[SignatureFailure, type[SignatureError]] = {
    SignatureFailure.MISSING: SignatureMissingError,
    SignatureFailure.MALFORMED: SignatureMalformedError,
    SignatureFailure.MISMATCH: SignatureMismatchError,
}
"""The error raised for each failure, so ``verify_*`` raises by lookup, not by branching."""
