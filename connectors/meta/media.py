"""WhatsApp media: upload (outbound, sent by id), look-up and download (inbound, at ingest).

Inbound media is fetched at once: webhook media ids expire and a download URL lives five
minutes. The bytes are checked against the ``sha256`` Meta gave. Outbound media is
uploaded and sent by id, never by link (Meta's fetcher gets rate-limited on links).
The tenant's bearer token is only ever sent to Meta's hosts: a download URL pointing
anywhere else is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
from pydantic import ValidationError

from connectors.genesys.errors import GenesysReceiptReason as Receipt
from connectors.http import HttpResponse, ResponseTooLargeError
from connectors.meta.errors import (
    MetaError,
    MetaMediaIntegrityError,
    MetaPermanentError,
    MetaRetryableError,
)
from connectors.meta.graph import GraphApi, MetaAuth
from schemas.meta.media import MEDIA_MAX_BYTES, MediaInfo, MediaUploaded, media_type_of
from schemas.parsing import describe_validation_error


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A media file in memory.

    Attributes:
        data: the bytes.
        mime_type: the MIME type Meta gave (or we uploaded with).
        sha256: base64 SHA-256 of ``data``, as Meta writes it in webhooks.
        filename: the file name, when known.
    """

    data: bytes = field(repr=False)
    mime_type: str
    sha256: str
    filename: str | None = None


def sha256_b64(data: bytes) -> str:
    """Base64 SHA-256 of ``data`` (Meta's webhook spelling)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def sha256_matches(data: bytes, expected: str) -> bool:
    """Whether ``expected`` (base64 or hex SHA-256) is the digest of ``data``."""
    digest = hashlib.sha256(data).digest()
    text = expected.strip()
    try:
        wanted = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(digest, wanted)


class MetaMedia:
    """Media calls of :class:`~connectors.meta.client.MetaClient` (``client.media``)."""

    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph
        settings = graph.settings
        self._hosts = {*settings.media_hosts, urlsplit(settings.graph_url).netloc}

    async def upload(
        self, auth: MetaAuth, data: bytes, *, mime_type: str, filename: str
    ) -> MediaUploaded:
        """Upload a file to the tenant's number; send it afterwards by the returned id.

        Raises:
            MetaPermanentError: a type Meta does not take, or a file over its size limit.
            MetaError: Meta refused the upload (e.g. 131053, type does not match the bytes).
        """
        mime = media_type_of(mime_type)
        limit = MEDIA_MAX_BYTES.get(mime)
        if limit is None:
            raise _refused(
                auth, f"{mime} is not a type WhatsApp accepts", Receipt.MEDIA_TYPE_NOT_ALLOWED
            )
        if len(data) > min(limit, self._graph.settings.max_media_bytes):
            raise _refused(
                auth,
                f"{len(data)} bytes is over the {mime} limit of {limit}",
                Receipt.INVALID_MEDIA_CONTENT_LENGTH,
            )

        def form() -> aiohttp.FormData:
            body = aiohttp.FormData()
            body.add_field("messaging_product", "whatsapp")
            body.add_field("type", mime_type)
            body.add_field("file", data, filename=filename, content_type=mime_type)
            return body

        response = await self._graph.call(
            auth,
            "POST",
            self._graph.url(auth.phone_number_id, "media"),
            operation="media_upload",
            # A repeated upload only leaves an unused copy behind, never a second message.
            idempotent=True,
            data=form,
            timeout_s=self._graph.settings.media_timeout_s,
        )
        return _parse(MediaUploaded, response, "media_upload", auth)

    async def info(self, auth: MetaAuth, media_id: str) -> MediaInfo:
        """Look a media id up: its short-lived download URL, type, size and checksum."""
        response = await self._graph.call(
            auth,
            "GET",
            self._graph.url(media_id),
            operation="media_info",
            idempotent=True,
            params={"phone_number_id": auth.phone_number_id},
        )
        return _parse(MediaInfo, response, "media_info", auth)

    async def download(self, auth: MetaAuth, info: MediaInfo) -> MediaFile:
        """Download the file ``info`` points at, with the bearer token, and check its sha256.

        Raises:
            MetaPermanentError: the URL is not a Meta host, or the file is too large.
            MetaMediaIntegrityError: the bytes do not match ``info.sha256``.
        """
        parts = urlsplit(info.url)
        if parts.scheme not in {"https", "http"} or parts.netloc not in self._hosts:
            # Sending the tenant's token anywhere else would hand it to a stranger.
            raise _refused(
                auth, f"media URL host {parts.netloc!r} is not Meta's", Receipt.GENERAL_ERROR
            )
        settings = self._graph.settings
        try:
            response = await self._graph.call(
                auth,
                "GET",
                info.url,
                operation="media_download",
                idempotent=True,
                timeout_s=settings.media_timeout_s,
                max_bytes=settings.max_media_bytes,
            )
        except ResponseTooLargeError as exc:
            raise _refused(
                auth, f"media larger than {exc.limit} bytes", Receipt.INVALID_MEDIA_CONTENT_LENGTH
            ) from exc
        data = response.body
        if info.sha256 and not sha256_matches(data, info.sha256):
            raise MetaMediaIntegrityError(
                f"media {info.id}: downloaded bytes do not match sha256",
                reason="downloaded media does not match its sha256",
                tenant_id=auth.tenant_id,
            )
        return MediaFile(data=data, mime_type=info.mime_type, sha256=sha256_b64(data))

    async def fetch(
        self, auth: MetaAuth, media_id: str, *, expected_sha256: str | None = None
    ) -> MediaFile:
        """Id -> URL -> bytes, checked against ``expected_sha256`` (the webhook's) too.

        A download URL that has expired (404) is looked up again once, as Meta advises.
        """
        info = await self.info(auth, media_id)
        try:
            media = await self.download(auth, info)
        except MetaError as exc:
            if getattr(exc, "http_status", None) != 404:
                raise
            media = await self.download(auth, await self.info(auth, media_id))
        if expected_sha256 and not sha256_matches(media.data, expected_sha256):
            raise MetaMediaIntegrityError(
                f"media {media_id}: bytes do not match the webhook's sha256",
                reason="downloaded media does not match the webhook's sha256",
                tenant_id=auth.tenant_id,
            )
        return media

    async def delete(self, auth: MetaAuth, media_id: str) -> None:
        """Delete an uploaded media id."""
        await self._graph.call(
            auth,
            "DELETE",
            self._graph.url(media_id),
            operation="media_delete",
            idempotent=True,
            params={"phone_number_id": auth.phone_number_id},
        )


def _refused(auth: MetaAuth, reason: str, receipt: Receipt) -> MetaPermanentError:
    return MetaPermanentError(
        f"Meta media refused: {reason}",
        reason=reason,
        receipt_reason=receipt,
        tenant_id=auth.tenant_id,
    )


_Answer = TypeVar("_Answer", MediaUploaded, MediaInfo)


def _parse(model: type[_Answer], response: HttpResponse, operation: str, auth: MetaAuth) -> _Answer:
    try:
        return model.model_validate_json(response.body)
    except ValidationError as exc:
        raise MetaRetryableError(
            f"Meta {operation}: unexpected answer",
            reason=describe_validation_error(exc),
            tenant_id=auth.tenant_id,
        ) from exc
