"""Errors of inbound media: bad links (gateway) and files that cannot be carried (worker)."""

from __future__ import annotations

from pipeline.errors import PipelineError


class MediaError(PipelineError):
    """Category root of the media errors."""

    code = "media_error"


class MediaLinkInvalidError(MediaError):
    """A ``/media/{token}`` token that is malformed, forged, altered or expired.

    The message says which, for logs only: the route answers every case with the same 404,
    so a prober cannot tell a forged token from an expired one.
    """

    code = "media_link_invalid"


class MediaUnavailableError(MediaError):
    """The customer's file cannot be carried, now or later (gone at Meta, or too large).

    Not retried: the agent gets the message with a note in place of the attachment (see
    :mod:`pipeline.media.ingest`), so the conversation goes on and the agent can ask again.

    Attributes:
        reason: what happened, in words the agent may read.
    """

    code = "media_unavailable"

    def __init__(self, message: str, *, reason: str, tenant_id: str | None = None) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.reason = reason


class MediaLinkMissingError(MediaError):
    """A translation asked for the link of a media id nobody ingested: a bug, not a blip."""

    code = "media_link_missing"


class MediaStoreError(MediaError):
    """The media store failed or refused a call (down, throttled, credentials missing or refused).

    Retriable: the worker's retry topic tries the ingest again, the gateway answers the
    fetch with an error Genesys retries, and the purge runs again next round.
    """

    retriable = True
    code = "media_store_unavailable"
