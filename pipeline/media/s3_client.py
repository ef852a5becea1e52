"""The five S3 calls the media store needs, signed with SigV4 over one aiohttp session.

PutObject, GetObject, HeadObject, ListObjectsV2 and DeleteObjects are all the store uses,
so a small client over the project's aiohttp beats an SDK (and its pinned botocore). It
speaks to any S3-compatible endpoint, with virtual-hosted (``bucket.host/key``, AWS's
default) or path-style (``host/bucket/key``, MinIO and most self-hosted servers) URLs.

Credentials come from a loader (Vault, see :mod:`tenancy.platform`), cached for a few
minutes; a 403 drops the cached pair so a rotated key is picked up by the next call.
Failures are :class:`~pipeline.media.errors.MediaStoreError` (retriable): the client itself
retries nothing, its callers (the worker's retry topic, the purge timer) do.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from pipeline.media.errors import MediaStoreError
from pipeline.media.sigv4 import AwsCredentials, encode_path, encode_query, payload_hash, sign
from pipeline.runtime.ttl_cache import TtlCache

CREDENTIALS_TTL_S: Final = 300.0
"""How long a key pair read from Vault is reused before it is read again."""

MAX_DELETE: Final = 1000
"""S3's limit of keys per DeleteObjects call."""

CredentialsLoader = Callable[[], Awaitable[AwsCredentials | None]]


@dataclass(frozen=True, slots=True)
class BucketLocation:
    """Where the bucket is and how to address it.

    Attributes:
        endpoint: ``scheme://host[:port]`` of the S3 API.
        region: the signing region.
        bucket: the bucket name.
        path_style: ``host/bucket/key`` URLs instead of ``bucket.host/key``.
    """

    endpoint: str
    region: str
    bucket: str
    path_style: bool

    def address(self, key: str) -> tuple[str, str, str]:
        """``(base URL, Host header, encoded path)`` of ``key`` (``""``: the bucket)."""
        parts = urlsplit(self.endpoint)
        host = parts.netloc
        if self.path_style:
            path = f"/{self.bucket}/{key}" if key else f"/{self.bucket}"
        else:
            host = f"{self.bucket}.{host}"
            path = f"/{key}"
        return f"{parts.scheme}://{host}", host, encode_path(path)


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One entry of a bucket listing.

    Attributes:
        key: the object key.
        last_modified: when the object was last written (the server's clock).
    """

    key: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class FetchedObject:
    """An object's bytes and response headers (``x-amz-meta-*`` among them)."""

    data: bytes
    headers: CIMultiDictProxy[str]


def _xml(body: bytes) -> ET.Element:
    # Replies of the operator's own configured endpoint, never of a customer; Python's
    # expat (>= 2.4.1) refuses entity expansion bombs and ElementTree fetches no entities.
    try:
        return ET.fromstring(body)  # noqa: S314  (see above)
    except ET.ParseError as exc:
        raise MediaStoreError("S3 sent a reply that is not XML") from exc


def _text(element: ET.Element, tag: str) -> str:
    found = element.find(f"{{*}}{tag}")
    return (found.text or "") if found is not None else ""


def _error_code(body: bytes) -> str:
    try:
        return _text(_xml(body), "Code") if body else ""
    except MediaStoreError:
        return ""


class S3Bucket:
    """Signed calls to one bucket; open it with ``async with`` (it owns an HTTP session)."""

    def __init__(
        self,
        location: BucketLocation,
        credentials: CredentialsLoader,
        *,
        timeout_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._location = location
        self._credentials: TtlCache[str, AwsCredentials | None] = TtlCache(
            lambda _: credentials(), CREDENTIALS_TTL_S
        )
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> S3Bucket:
        self._session = aiohttp.ClientSession(timeout=self._timeout, auto_decompress=False)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def put(self, key: str, data: bytes, headers: Mapping[str, str]) -> None:
        """Write (or overwrite) ``key``; ``headers`` carry the type and ``x-amz-meta-*``."""
        await self._call("PUT", key, body=data, headers=headers)

    async def get(self, key: str) -> FetchedObject | None:
        """The object, or ``None`` when there is no such key."""
        status, headers, body = await self._call("GET", key, missing_ok=True)
        return None if status == 404 else FetchedObject(body, headers)

    async def head(self, key: str) -> CIMultiDictProxy[str] | None:
        """The object's headers without its bytes, or ``None`` when there is no such key."""
        status, headers, _ = await self._call("HEAD", key, missing_ok=True)
        return None if status == 404 else headers

    async def list_page(
        self, prefix: str, token: str | None = None
    ) -> tuple[list[ListedObject], str | None]:
        """Up to 1,000 objects under ``prefix`` and the token of the next page, if any."""
        query = {"list-type": "2", "prefix": prefix}
        if token:
            query["continuation-token"] = token
        _, _, body = await self._call("GET", "", query=query)
        root = _xml(body)
        listed = [
            ListedObject(_text(item, "Key"), datetime.fromisoformat(_text(item, "LastModified")))
            for item in root.iterfind("{*}Contents")
        ]
        more = _text(root, "IsTruncated") == "true"
        return listed, (_text(root, "NextContinuationToken") or None) if more else None

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete up to :data:`MAX_DELETE` keys in one call (missing keys count as deleted)."""
        if not keys:
            return
        if len(keys) > MAX_DELETE:
            raise ValueError(f"at most {MAX_DELETE} keys per delete call")
        objects = "".join(f"<Object><Key>{escape(key)}</Key></Object>" for key in keys)
        body = f"<Delete><Quiet>true</Quiet>{objects}</Delete>".encode()
        # DeleteObjects requires a body checksum header; MD5 is the one every server knows.
        md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        _, _, reply = await self._call(
            "POST",
            "",
            query={"delete": ""},
            body=body,
            headers={"Content-Type": "application/xml", "Content-MD5": md5},
        )
        failed = [_text(error, "Key") for error in _xml(reply).iterfind("{*}Error")]
        if failed:
            raise MediaStoreError(f"S3 refused to delete {len(failed)} of {len(keys)} objects")

    async def _call(
        self,
        method: str,
        key: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        if self._session is None:
            raise MediaStoreError("the S3 media store is not open (use it in `async with`)")
        credentials = await self._credentials.get("s3")
        if credentials is None:
            raise MediaStoreError(
                "no S3 credentials in Vault (set them: wagen media s3-credentials set)"
            )
        base, host, path = self._location.address(key)
        query_text = encode_query(query or {})
        signed = sign(
            method=method,
            host=host,
            path=path,
            query=query_text,
            headers=headers or {},
            body_sha256=payload_hash(body),
            credentials=credentials,
            region=self._location.region,
            now=self._clock(),
        )
        url = URL(f"{base}{path}{'?' + query_text if query_text else ''}", encoded=True)
        try:
            async with self._session.request(
                method, url, data=body or None, headers=signed
            ) as response:
                reply = await response.read()
                status, reply_headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise MediaStoreError(f"S3 {method} failed: {type(exc).__name__}") from exc
        if status < 300 or (status == 404 and missing_ok and _error_code(reply) != "NoSuchBucket"):
            return status, reply_headers, reply
        if status == 403:
            # Perhaps rotated in Vault since we read it: read it again next call.
            self._credentials.invalidate("s3")
        code = _error_code(reply) or f"HTTP {status}"
        raise MediaStoreError(f"S3 {method} of bucket {self._location.bucket!r}: {code}")
