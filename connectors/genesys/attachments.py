"""Agent attachments: download the file an outbound webhook points at, before Meta sees it.

Genesys's attachment URLs are pre-signed (no bearer token is sent) and their lifetime is
unconfirmed, so the file is fetched as soon as the webhook is handled, then uploaded to Meta
and sent by id (:meth:`connectors.meta.media.MetaMedia.upload`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

from connectors.genesys.errors import (
    GenesysAttachmentError,
    GenesysReceiptReason,
    classify_genesys_error,
)
from connectors.http import HttpTransport, ResponseTooLargeError
from connectors.meta.media import sha256_b64
from connectors.settings import GenesysClientSettings

VENDOR: Final = "genesys"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A downloaded attachment.

    Attributes:
        data: the bytes.
        mime_type: the webhook's ``mime`` when given, else the response's Content-Type.
        filename: the webhook's ``filename`` when given, else the URL's last segment.
        sha256: base64 SHA-256 of ``data``.
    """

    data: bytes = field(repr=False)
    mime_type: str
    filename: str
    sha256: str


class GenesysAttachments:
    """Downloads agent attachments over the shared pool."""

    def __init__(self, transport: HttpTransport, settings: GenesysClientSettings) -> None:
        self._transport = transport
        self._settings = settings

    async def download(
        self,
        url: str,
        *,
        mime_type: str | None = None,
        filename: str | None = None,
        tenant_id: str | None = None,
    ) -> Attachment:
        """Fetch ``url`` (no credentials sent) into memory.

        Raises:
            GenesysAttachmentError: not an http(s) URL, or larger than the limit.
            GenesysError: the host answered an error (404: expired; 5xx: retry later).
            ConnectorTransportError: no answer.
        """
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise GenesysAttachmentError(
                "agent attachment URL is not http(s)",
                receipt_reason=GenesysReceiptReason.INVALID_MESSAGE_STRUCTURE,
                tenant_id=tenant_id,
            )
        limit = self._settings.max_attachment_bytes
        try:
            response = await self._transport.request(
                "GET",
                url,
                vendor=VENDOR,
                operation="attachment_download",
                timeout_s=self._settings.attachment_timeout_s,
                max_bytes=limit,
                tenant_id=tenant_id,
            )
        except ResponseTooLargeError as exc:
            raise GenesysAttachmentError(
                f"agent attachment larger than {limit} bytes",
                receipt_reason=GenesysReceiptReason.INVALID_MEDIA_CONTENT_LENGTH,
                tenant_id=tenant_id,
            ) from exc
        if not response.ok:
            raise classify_genesys_error(
                response.status, response.body, response.headers, tenant_id=tenant_id
            )
        name = filename or unquote(parts.path.rsplit("/", 1)[-1]) or "attachment"
        return Attachment(
            data=response.body,
            mime_type=mime_type or response.content_type or "application/octet-stream",
            filename=name,
            sha256=sha256_b64(response.body),
        )
