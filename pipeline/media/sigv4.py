"""AWS Signature Version 4 for S3 requests: the header form, with a signed payload hash.

Every S3-compatible store (AWS S3, MinIO, Ceph RGW, Garage...) accepts it, so the S3 media
backend needs this one small signer over aiohttp rather than an SDK. Spec:
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html

S3's rules differ from other AWS services in one place: the path is URI-encoded once, not
twice (:func:`encode_path`). The payload hash is the real SHA-256 of the body (never
``UNSIGNED-PAYLOAD``), so the server also checks that the bytes arrived intact.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import quote

_ALGORITHM: Final = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    """A static access key pair (kept in Vault, see :mod:`tenancy.platform`).

    Attributes:
        access_key_id: the public half, sent in every request's ``Authorization``.
        secret_access_key: the private half; it only keys the HMAC and is never sent.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)


def encode_path(path: str) -> str:
    """``path`` URI-encoded as S3 canonicalizes it: each byte but ``A-Za-z0-9-._~/``."""
    return quote(path, safe="/-_.~")


def encode_query(params: Mapping[str, str]) -> str:
    """The canonical query string: pairs sorted by name, names and values fully encoded.

    Sending exactly this string as the URL's query keeps what is signed and what is sent
    identical, whatever the HTTP client would otherwise re-encode.
    """
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def payload_hash(body: bytes) -> str:
    """Hex SHA-256 of the body, the ``x-amz-content-sha256`` header."""
    return hashlib.sha256(body).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_value(value: str) -> str:
    # Trimmed, inner runs of spaces folded to one (the spec's Trimall).
    return " ".join(value.split())


def sign(
    *,
    method: str,
    host: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body_sha256: str,
    credentials: AwsCredentials,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """The request's headers with ``Host``, the date, the payload hash and ``Authorization``.

    Args:
        method: the HTTP method, upper case.
        host: the ``Host`` header exactly as sent (``bucket.s3.eu-west-1.amazonaws.com``,
            ``127.0.0.1:9000``).
        path: the already encoded path (:func:`encode_path`), as sent.
        query: the canonical query string (:func:`encode_query`), as sent.
        headers: the other headers to sign and send (``Content-Type``, ``x-amz-meta-*``...).
        body_sha256: :func:`payload_hash` of the body.
        credentials: the key pair.
        region: the signing region (``us-east-1`` for most S3-compatible servers).
        now: the signing time, in UTC.
        service: the signing service name.
    """
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {name.lower(): _canonical_value(value) for name, value in headers.items()}
    signed.update({"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": body_sha256})
    names = sorted(signed)
    canonical_request = "\n".join(
        (
            method,
            path,
            query,
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            body_sha256,
        )
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        (_ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = _hmac(f"AWS4{credentials.secret_access_key}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"{_ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return {
        **headers,
        "Host": host,
        "x-amz-date": amz_date,
        "x-amz-content-sha256": body_sha256,
        "Authorization": authorization,
    }
