"""Webhook signatures of Meta and Genesys: sign, check and verify, free of any web framework.

Both vendors send ``X-Hub-Signature-256: sha256=<HMAC-SHA256(secret, raw body)>``; they differ
only in how the digest is written:

* Meta: lowercase **hex** (64 characters), keyed with the tenant's app secret.
* Genesys: standard **base64** with padding (44 characters), keyed with the integration's
  outbound-notification webhook secret.

The checks are strict about the prefix and the encoding, so a digest in the other vendor's
encoding is refused as malformed (community Genesys code that accepts hex "never matches"; being
strict makes such a misconfiguration visible instead of silently tolerated). They compare in
constant time, and accept several secrets so the old and the new one both verify while a
secret is being rotated.

The HMAC must run over the body exactly as received: parsing and re-serialising changes the
bytes (Meta escapes non-ASCII as ``\\uXXXX``; Python's ``json.dumps`` adds spaces).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from connectors.errors import SIGNATURE_ERRORS, SignatureFailure

SIGNATURE_HEADER: Final = "X-Hub-Signature-256"
"""The header both vendors put the signature in."""

SIGNATURE_PREFIX: Final = "sha256="
"""Literal, lowercase prefix of the header value; ``SHA256=`` is refused like any other."""

Secret = str | bytes
"""A signing secret; ``str`` is encoded as UTF-8 (Genesys documents its secret as UTF-8)."""

Secrets = Secret | Sequence[Secret]
"""One secret, or several during a rotation (old and new both verify)."""

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# 32 bytes in standard base64: 43 alphabet characters and one '=' of padding.
_BASE64_DIGEST = re.compile(r"[A-Za-z0-9+/]{43}=")
# RFC 9110 optional whitespace around a field value is not part of it; nothing else is trimmed.
_OWS = " \t"


def _encode_hex(digest: bytes) -> str:
    return digest.hex()


def _decode_hex(text: str) -> bytes | None:
    # Uppercase is refused: Meta writes lowercase and its reference check compares strings.
    if _HEX_DIGEST.fullmatch(text) is None:
        return None
    return bytes.fromhex(text)


def _encode_base64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _decode_base64(text: str) -> bytes | None:
    if _BASE64_DIGEST.fullmatch(text) is None:
        return None
    try:
        digest = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    # Non-zero trailing bits decode to the same bytes; only the canonical spelling is Genesys's.
    if _encode_base64(digest) != text:
        return None
    return digest


def _keys(secrets: Secrets) -> tuple[bytes, ...]:
    """Normalise one or many secrets to HMAC keys, refusing an empty configuration.

    A lone ``str`` is itself a sequence (of characters), so it is wrapped before iterating.
    """
    items = (secrets,) if isinstance(secrets, str | bytes) else tuple(secrets)
    keys = tuple(item.encode("utf-8") if isinstance(item, str) else item for item in items)
    if not keys or not all(keys):
        # Anyone can compute an HMAC with an empty key: a configuration error, not a failed check.
        raise ValueError("signature check needs at least one non-empty secret")
    return keys


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    """One vendor's way of writing ``X-Hub-Signature-256``.

    Attributes:
        vendor: ``"meta"`` or ``"genesys"``; names the vendor in errors.
        encode: digest bytes → the text after the prefix.
        decode: the text after the prefix → digest bytes, or ``None`` when it is not written
            in this scheme's encoding.
    """

    vendor: str
    encode: Callable[[bytes], str]
    decode: Callable[[str], bytes | None]

    def sign(self, body: bytes, secret: Secret) -> str:
        """Return the full header value for ``body``, as the vendor would send it."""
        (key,) = _keys(secret)
        return SIGNATURE_PREFIX + self.encode(hmac.new(key, body, hashlib.sha256).digest())

    def check(self, body: bytes, header: str | None, secrets: Secrets) -> SignatureFailure | None:
        """Check a header against the raw body; ``None`` means valid, else why it failed.

        Raises:
            ValueError: no secret, or an empty one, is configured.
        """
        keys = _keys(secrets)
        value = (header or "").strip(_OWS)
        if not value:
            return SignatureFailure.MISSING
        if not value.startswith(SIGNATURE_PREFIX):
            return SignatureFailure.MALFORMED
        received = self.decode(value.removeprefix(SIGNATURE_PREFIX))
        if received is None:
            return SignatureFailure.MALFORMED
        matched = False
        for key in keys:
            # No early exit: the time taken does not depend on which secret matched.
            expected = hmac.new(key, body, hashlib.sha256).digest()
            matched |= hmac.compare_digest(expected, received)
        return None if matched else SignatureFailure.MISMATCH

    def verify(
        self, body: bytes, header: str | None, secrets: Secrets, *, tenant_id: str | None = None
    ) -> None:
        """Like :meth:`check`, but raise the matching :class:`SignatureError` on failure.

        Raises:
            SignatureMissingError: the header is absent or empty.
            SignatureMalformedError: wrong prefix or encoding.
            SignatureMismatchError: no configured secret produces this signature.
            ValueError: no secret, or an empty one, is configured.
        """
        failure = self.check(body, header, secrets)
        if failure is not None:
            raise SIGNATURE_ERRORS[failure](self.vendor, tenant_id=tenant_id)


META_SIGNATURE: Final = SignatureScheme(vendor="meta", encode=_encode_hex, decode=_decode_hex)
"""Meta: ``sha256=`` + lowercase hex HMAC-SHA256 with the app secret."""

GENESYS_SIGNATURE: Final = SignatureScheme(
    vendor="genesys", encode=_encode_base64, decode=_decode_base64
)
"""Genesys: ``sha256=`` + base64 HMAC-SHA256 with the outbound webhook secret."""


def sign_meta(body: bytes, secret: Secret) -> str:
    """Return Meta's ``X-Hub-Signature-256`` value for ``body`` (used by the Meta simulator)."""
    return META_SIGNATURE.sign(body, secret)


def sign_genesys(body: bytes, secret: Secret) -> str:
    """Return Genesys's ``X-Hub-Signature-256`` value for ``body`` (used by its simulator)."""
    return GENESYS_SIGNATURE.sign(body, secret)


def check_meta_signature(
    body: bytes, header: str | None, secrets: Secrets
) -> SignatureFailure | None:
    """Check a Meta webhook signature; ``None`` when valid, else the failure."""
    return META_SIGNATURE.check(body, header, secrets)


def check_genesys_signature(
    body: bytes, header: str | None, secrets: Secrets
) -> SignatureFailure | None:
    """Check a Genesys webhook signature; ``None`` when valid, else the failure."""
    return GENESYS_SIGNATURE.check(body, header, secrets)


def verify_meta_signature(
    body: bytes, header: str | None, secrets: Secrets, *, tenant_id: str | None = None
) -> None:
    """Raise a :class:`~connectors.errors.SignatureError` unless Meta's signature is valid."""
    META_SIGNATURE.verify(body, header, secrets, tenant_id=tenant_id)


def verify_genesys_signature(
    body: bytes, header: str | None, secrets: Secrets, *, tenant_id: str | None = None
) -> None:
    """Raise a :class:`~connectors.errors.SignatureError` unless Genesys's signature is valid."""
    GENESYS_SIGNATURE.verify(body, header, secrets, tenant_id=tenant_id)
