"""The HTTP calls a translation yields: what wagen would POST to Genesys or to Meta.

A translator never sends anything; it returns these values, and the pipeline (or ``wagen
translate``, which only prints them) executes them in order. Each call knows its method, its
path and its typed body; :meth:`GenesysCall.as_json` / :meth:`MetaCall.as_json` give the
``{"method", "path", "body"}`` shape the dry-run CLI prints.

The endpoint is derived from the body's type, so a body can never go to the wrong path.

Outbound media is uploaded to Meta and sent by id (reference ``meta-whatsapp.md`` section 4:
links make Meta's fetcher hit our host, which fails behind redirects and rate limits). A
translation with an attachment therefore yields an upload call (:class:`MediaUpload`) and then
a send whose media ``id`` is :data:`UPLOADED_MEDIA_ID`; the pipeline runs the upload and
passes the returned id to :meth:`MetaCall.with_media_id` on the calls that follow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.genesys.inbound import (
    OpenInboundNormalizedEvent,
    OpenInboundNormalizedMessage,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
)
from schemas.meta.send import (
    SEND_BODY,
    MarkRead,
    SendAudio,
    SendDocument,
    SendImage,
    SendMessage,
    SendSticker,
    SendVideo,
)
from schemas.meta.send_common import MediaRef

GENESYS_INBOUND_PATH: Final = "/api/v2/conversations/messages/{integration_id}/inbound/open/"
"""Prefix of every Open Messaging endpoint wagen POSTs to (reference sections 2, 3 and 5)."""

UPLOADED_MEDIA_ID: Final = "{uploaded-media-id}"
"""The media ``id`` of a send that follows an upload, until :meth:`MetaCall.with_media_id`."""


class GenesysEndpoint(StrEnum):
    """The Open Messaging inbound endpoints, as the tail of their path."""

    MESSAGE = "message"
    RECEIPT = "receipt"
    EVENT = "event"
    STRUCTURED_RESPONSE = "structured/response"


GenesysInboundBody = (
    OpenInboundNormalizedMessage
    | OpenInboundNormalizedReceipt
    | OpenInboundNormalizedEvent
    | OpenInboundStructuredResponseMessage
)
"""Any body wagen POSTs to Genesys."""

_GENESYS_ENDPOINTS: Final[dict[type[BaseModel], GenesysEndpoint]] = {
    OpenInboundNormalizedMessage: GenesysEndpoint.MESSAGE,
    OpenInboundNormalizedReceipt: GenesysEndpoint.RECEIPT,
    OpenInboundNormalizedEvent: GenesysEndpoint.EVENT,
    OpenInboundStructuredResponseMessage: GenesysEndpoint.STRUCTURED_RESPONSE,
}


@dataclass(frozen=True, slots=True)
class GenesysCall:
    """One POST to Genesys: ``/api/v2/conversations/messages/{integrationId}/inbound/open/…``.

    Attributes:
        integration_id: the Open Messaging integration the tenant's number is bound to.
        body: the typed body; its type decides the endpoint.
    """

    integration_id: str
    body: GenesysInboundBody
    method: Literal["POST"] = "POST"

    @property
    def endpoint(self) -> GenesysEndpoint:
        """Which inbound endpoint the body goes to."""
        return _GENESYS_ENDPOINTS[type(self.body)]

    @property
    def path(self) -> str:
        """The request path, relative to ``https://api.<region domain>``."""
        prefix = GENESYS_INBOUND_PATH.format(integration_id=self.integration_id)
        return prefix + self.endpoint.value

    def as_json(self) -> dict[str, Any]:
        """``{"method", "path", "body"}``, the body exactly as it goes on the wire."""
        body = self.body.model_dump(mode="json", exclude_none=True)
        return {"method": self.method, "path": self.path, "body": body}


class MetaEndpoint(StrEnum):
    """The Graph API edges of a business phone number that wagen POSTs to."""

    MESSAGES = "messages"
    MEDIA = "media"


class UploadSource(BaseModel):
    """Where the upload's bytes come from: the Genesys attachment, fetched at run time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(min_length=1)
    filename: str | None = None


class MediaUpload(BaseModel):
    """``POST /{phone-number-id}/media``: a multipart form, shown here as its fields.

    ``messaging_product`` and ``type`` (the MIME type) are Meta's form fields; ``file`` is the
    file part, whose bytes the pipeline downloads from ``file.url`` (sent with ``type`` as its
    content type and ``file.filename`` as its name). Meta answers ``{"id": "..."}``, kept 30
    days (reference section 4).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    messaging_product: Literal["whatsapp"] = "whatsapp"
    type: str = Field(min_length=1)
    file: UploadSource


MediaSend = SendImage | SendVideo | SendAudio | SendDocument | SendSticker
"""The send bodies that carry a media object under the key named by their ``type``."""


def _media_of(body: SendMessage | MarkRead | MediaUpload) -> MediaRef | None:
    if isinstance(body, SendImage):
        return body.image
    if isinstance(body, SendVideo):
        return body.video
    if isinstance(body, SendAudio):
        return body.audio
    if isinstance(body, SendDocument):
        return body.document
    if isinstance(body, SendSticker):
        return body.sticker
    return None


@dataclass(frozen=True, slots=True)
class MetaCall:
    """One POST to the Graph API: ``/{phone-number-id}/messages`` or ``.../media``.

    Attributes:
        phone_number_id: the business number that sends.
        body: a message, a mark-as-read (typing), or a media upload; its type decides the edge.
    """

    phone_number_id: str
    body: SendMessage | MarkRead | MediaUpload
    method: Literal["POST"] = "POST"

    @property
    def endpoint(self) -> MetaEndpoint:
        """``media`` for an upload, ``messages`` for everything else."""
        return MetaEndpoint.MEDIA if isinstance(self.body, MediaUpload) else MetaEndpoint.MESSAGES

    @property
    def path(self) -> str:
        """The request path, relative to ``https://graph.facebook.com/<version>``."""
        return f"/{self.phone_number_id}/{self.endpoint.value}"

    @property
    def needs_media_id(self) -> bool:
        """True for a send waiting for the id of the upload before it."""
        media = _media_of(self.body)
        return media is not None and media.id == UPLOADED_MEDIA_ID

    def with_media_id(self, media_id: str) -> MetaCall:
        """This call with :data:`UPLOADED_MEDIA_ID` replaced by the id Meta returned.

        Calls that wait for no upload are returned unchanged.
        """
        if not self.needs_media_id or isinstance(self.body, MediaUpload):
            return self
        data = self.body.model_dump(mode="json", exclude_none=True)
        data[data["type"]]["id"] = media_id
        return replace(self, body=SEND_BODY.validate_python(data))

    def as_json(self) -> dict[str, Any]:
        """``{"method", "path", "body"}``, the body as sent (an upload: its form fields)."""
        body = self.body.model_dump(mode="json", exclude_none=True)
        return {"method": self.method, "path": self.path, "body": body}
