"""Media: the answers of the Graph media endpoints, and the types and sizes Meta accepts.

Upload ``POST /{phone-number-id}/media`` answers :class:`MediaUploaded`; look-up
``GET /{media-id}`` answers :class:`MediaInfo`, whose ``url`` lives 5 minutes and is
downloaded with the same bearer token. Docs:
https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media
(reference ``meta-whatsapp.md`` section 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from pydantic import Field

from schemas.meta._base import WebhookModel

_MB: Final = 1024 * 1024


class MediaUploaded(WebhookModel):
    """Answer to an upload: the media id to send by (kept 30 days)."""

    id: str = Field(min_length=1)


class MediaInfo(WebhookModel):
    """Answer to a look-up: where to download the file and how to check it.

    ``sha256`` is base64 in webhooks; the look-up answer is documented without an example,
    so a checker must accept hex as well.
    """

    url: str = Field(min_length=1)
    mime_type: str
    sha256: str | None = None
    file_size: int | None = Field(default=None, ge=0)
    id: str
    messaging_product: str | None = None


MEDIA_MAX_BYTES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "audio/aac": 16 * _MB,
        "audio/amr": 16 * _MB,
        "audio/mpeg": 16 * _MB,
        "audio/mp4": 16 * _MB,
        "audio/ogg": 16 * _MB,
        "text/plain": 100 * _MB,
        "application/pdf": 100 * _MB,
        "application/msword": 100 * _MB,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * _MB,
        "application/vnd.ms-excel": 100 * _MB,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * _MB,
        "application/vnd.ms-powerpoint": 100 * _MB,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * _MB,
        "image/jpeg": 5 * _MB,
        "image/png": 5 * _MB,
        "image/webp": 500 * 1024,
        "video/mp4": 16 * _MB,
        "video/3gpp": 16 * _MB,
    }
)
"""Uploadable MIME types (without parameters) and their largest size (sticker: animated)."""


def media_type_of(mime: str) -> str:
    """``mime`` without parameters, lowercased: ``audio/ogg; codecs=opus`` -> ``audio/ogg``."""
    return mime.split(";", 1)[0].strip().lower()
