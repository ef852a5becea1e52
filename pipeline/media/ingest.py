"""Inbound media at ingest: Meta → the media store → a signed link for Genesys.

Meta's webhook media ids expire and its download URLs live five minutes, so a customer's
file is downloaded when the worker first handles the message, checked against the webhook's
sha256, kept in the :class:`~pipeline.media.store.MediaStore`, and handed to the (pure,
synchronous) translation as a ``GET /media/{token}`` link on the gateway.

Failures, decided here so the worker's routing needs no media rule:

* transient (Meta 5xx, 429, timeouts, a sha256 mismatch, the store down) — raised as they
  are: the retry topic tries again, and the DLQ keeps the event once retries are spent;
* missing Meta credentials — raised (the event is held until they arrive), refused ones too
  (the cached token is forgotten first);
* the file is gone or will never fit (Meta answers the id is unknown or undownloadable, the
  URL 404s twice, or it is over ``media.max_bytes``) — **not** dead-lettered: the agent gets
  the message with a note in place of the attachment. A replay could not bring the file back,
  and silence would hide that the customer sent something; the note lets the agent ask again.

A retry after a successful download finds the file stored and does not download it again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from connectors.genesys.errors import GenesysReceiptReason as Receipt
from connectors.meta.errors import MetaCredentialsError, MetaError, MetaPermanentError
from connectors.meta.graph import MetaAuth
from connectors.meta.media import MediaFile, MetaMedia
from connectors.translate import GenesysCall
from pipeline.media.errors import MediaLinkMissingError, MediaUnavailableError
from pipeline.media.links import MediaLinkSigner
from pipeline.media.store import MediaStore, StoredMedia
from pipeline.settings import MediaSettings
from schemas.events import MessageReceived
from schemas.genesys import OpenInboundNormalizedMessage
from schemas.meta.content import Media
from schemas.meta.messages import (
    AudioMessage,
    DocumentMessage,
    ImageMessage,
    InboundMessage,
    StickerMessage,
    VideoMessage,
)

log = logging.getLogger(__name__)

_GONE_CODES: Final = frozenset({100, 131052})
"""Meta codes for a media id that is unknown (expired) or not downloadable."""

_UNAVAILABLE_URL: Final = "urn:wagen:media-unavailable"


class MetaAuthSource(Protocol):
    """The tenant's Meta bearer (the worker's cached directory of credentials)."""

    async def auth(self, tenant_id: str, phone_number_id: str) -> MetaAuth:
        """The auth for calls about ``phone_number_id``; raises when the tenant has none."""
        ...

    def forget(self, tenant_id: str) -> None:
        """Drop a cached token Meta refused."""
        ...


@dataclass(frozen=True, slots=True)
class IngestedMedia:
    """The outcome of ingesting one message's media, for its translation.

    Attributes:
        links: WhatsApp media id → wagen's signed link.
        unavailable: why the file could not be carried (``None`` when it was, or when the
            message had no media).
        kind: the WhatsApp message type (``image``...), for the agent's note.
    """

    links: Mapping[str, str] = field(default_factory=dict)
    unavailable: str | None = None
    kind: str = "file"

    def link(self, media_id: str) -> str:
        """The link of an ingested id (the translation's ``media_url``).

        For an unavailable file the translation still builds its attachment; it gets a
        placeholder that :meth:`apply` removes with the attachment, and never reaches Genesys.
        """
        if self.unavailable is not None:
            return _UNAVAILABLE_URL
        try:
            return self.links[media_id]
        except KeyError:
            raise MediaLinkMissingError(f"no ingested media {media_id}") from None

    def apply(self, calls: list[GenesysCall]) -> list[GenesysCall]:
        """The calls, with a note in place of the attachment when the file is unavailable."""
        if self.unavailable is None:
            return calls
        article = "an" if self.kind[:1] in "aeiou" else "a"
        note = (
            f"[The customer sent {article} {self.kind} that could not be retrieved "
            f"from WhatsApp: {self.unavailable}]"
        )
        return [_with_note(call, note, self.unavailable) for call in calls]


NO_MEDIA: Final = IngestedMedia()
"""What a message without media (or a status) ingests: any link asked for is a bug."""


def media_of(message: InboundMessage) -> tuple[Media, str | None] | None:
    """The media object of a media message and its file name; ``None`` for other types."""
    if isinstance(message, DocumentMessage):
        return message.document, message.document.filename
    if isinstance(message, ImageMessage):
        return message.image, None
    if isinstance(message, VideoMessage):
        return message.video, None
    if isinstance(message, AudioMessage):
        return message.audio, None
    if isinstance(message, StickerMessage):
        return message.sticker, None
    return None


def _with_note(call: GenesysCall, note: str, reason: str) -> GenesysCall:
    body = call.body
    if not isinstance(body, OpenInboundNormalizedMessage) or not body.content:
        return call
    text = "\n".join(filter(None, (body.text, note)))
    metadata = {**(body.metadata or {}), "media_unavailable": reason[:200]}
    replaced = body.model_copy(update={"content": None, "text": text, "metadata": metadata})
    return GenesysCall(call.integration_id, replaced)


def _gone(exc: MetaError) -> bool:
    if not isinstance(exc, MetaPermanentError):
        return False
    return (
        exc.vendor_code in _GONE_CODES
        or exc.http_status == 404
        or exc.receipt_reason is Receipt.INVALID_MEDIA_CONTENT_LENGTH
    )


@dataclass(frozen=True)
class MediaIngest:
    """Downloads, stores and links the media of inbound messages (one per worker)."""

    store: MediaStore
    signer: MediaLinkSigner
    meta: MetaMedia
    credentials: MetaAuthSource
    settings: MediaSettings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def ingest(self, event: MessageReceived) -> IngestedMedia:
        """Make the message's media fetchable by Genesys (see the module docstring)."""
        found = media_of(event.payload)
        if found is None:
            return NO_MEDIA
        media, filename = found
        tenant = event.tenant_id
        if not await self.store.exists(tenant, media.id):
            try:
                file = await self._download(event, media)
            except MediaUnavailableError as exc:
                log.warning(
                    "inbound media unavailable: the agent gets a note",
                    extra={"tenant_id": tenant, "media_id": media.id, "reason": exc.reason},
                )
                return IngestedMedia(unavailable=exc.reason, kind=event.payload.type)
            await self.store.put(tenant, self._stored(media.id, file, filename))
        return IngestedMedia(links={media.id: self.url(tenant, media.id)})

    def url(self, tenant_id: str, media_id: str) -> str:
        """A fresh signed link to a stored file."""
        token = self.signer.sign(tenant_id, media_id, self.settings.link_ttl_s)
        return f"{self.settings.public_url.rstrip('/')}/media/{token}"

    async def _download(self, event: MessageReceived, media: Media) -> MediaFile:
        tenant = event.tenant_id
        auth = await self.credentials.auth(tenant, event.phone_number_id)
        limit = self.settings.max_bytes
        try:
            info = await self.meta.info(auth, media.id)
            if info.file_size is not None and info.file_size > limit:
                raise _too_large(info.file_size, limit, tenant)
            # fetch looks the id up again after a 404 and checks the webhook's sha256 too.
            file = await self.meta.fetch(auth, media.id, expected_sha256=media.sha256)
        except MetaCredentialsError:
            self.credentials.forget(tenant)
            raise
        except MetaError as exc:
            if _gone(exc):
                raise MediaUnavailableError(
                    str(exc), reason=exc.reason or "media not available", tenant_id=tenant
                ) from exc
            raise
        if len(file.data) > limit:
            raise _too_large(len(file.data), limit, tenant)
        return file

    def _stored(self, media_id: str, file: MediaFile, filename: str | None) -> StoredMedia:
        retention = timedelta(seconds=self.settings.retention_s)
        return StoredMedia(
            media_id=media_id,
            data=file.data,
            mime_type=file.mime_type,
            sha256_hex=hashlib.sha256(file.data).hexdigest(),
            expires_at=self.clock() + retention,
            filename=filename,
        )


def _too_large(size: int, limit: int, tenant_id: str) -> MediaUnavailableError:
    return MediaUnavailableError(
        f"media of {size} bytes is over the {limit}-byte limit",
        reason=f"the file is larger than {_megabytes(limit)}",
        tenant_id=tenant_id,
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"
