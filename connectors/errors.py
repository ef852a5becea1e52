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
    """Category root for everything that talks to Meta or Genesys."""

    code = "connector_error"


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
