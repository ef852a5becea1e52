"""Pieces shared by every send body: the common envelope and media references.

Limits are Meta's documented ones (reference ``meta-whatsapp.md`` section 3; Docs:
https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/). They
are enforced here so a bad agent input fails before the request, not as Meta error 100.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from schemas.meta._base import SendModel

_PHONE: Final = re.compile(r"\+?[0-9 ()\-]{5,25}")
BSUID: Final = re.compile(r"[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}")
"""A business-scoped user id (``US.13491208655302741918``) or a parent one (``US.ENT.…``)."""
_HTTP_URL: Final = re.compile(r"https?://\S+", re.IGNORECASE)

CAPTION_MAX: Final = 1024
"""Captions of image, video and document messages."""


def _check_http_url(value: str) -> str:
    if not _HTTP_URL.fullmatch(value):
        raise ValueError("must be an http(s) URL")
    return value


HttpUrlStr = Annotated[str, AfterValidator(_check_http_url)]
"""An http(s) URL kept exactly as written (pydantic's ``HttpUrl`` would normalise it)."""


class ReplyContext(SendModel):
    """``context``: quote one of the customer's messages in our reply."""

    message_id: str = Field(min_length=1)


class SendBase(SendModel):
    """The fields every send body has (``POST /{phone-number-id}/messages``).

    The customer is addressed by exactly one of ``to`` and ``recipient``. ``to`` is the
    customer's number, E.164 with ``+`` (Meta prepends the business number's country code
    when the ``+`` is missing, so always send it), or a group id when ``recipient_type`` is
    ``group``. ``recipient`` is a business-scoped user id (BSUID) for a customer whose
    number wagen does not know (Graph v25+, the field pywa 4 sends; Meta's v23 spec has
    ``to`` only). ``biz_opaque_callback_data`` (at most 512 characters) comes back in every
    status of the message (reference section 2.3, confirmed by Meta's status reference), but
    Meta's v23 OpenAPI spec lists it only for calls, so ``validate_send.py`` rejects a
    message body carrying it: leave it ``None`` where a body must pass that check.
    """

    messaging_product: Literal["whatsapp"]
    recipient_type: Literal["individual", "group"] | None = None
    to: str | None = Field(default=None, min_length=1)
    recipient: str | None = Field(default=None, pattern=BSUID.pattern)
    context: ReplyContext | None = None
    biz_opaque_callback_data: str | None = Field(default=None, max_length=512)

    @field_validator("to")
    @classmethod
    def _to_is_a_phone_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        # recipient_type is declared before to, so it is already in info.data.
        group = info.data.get("recipient_type") == "group"
        if value is not None and not group and not _PHONE.fullmatch(value):
            raise ValueError("not a phone number (digits, +, spaces, -, () only)")
        return value

    @model_validator(mode="after")
    def _one_addressee(self) -> Self:
        if (self.to is None) == (self.recipient is None):
            raise ValueError("exactly one of to and recipient is required")
        if self.recipient is not None and self.recipient_type == "group":
            raise ValueError("a group is addressed by to, not recipient")
        return self

    @property
    def addressee(self) -> str:
        """Whom the body goes to: the number or group id, else the business-scoped id."""
        return self.to or self.recipient or ""


class MediaRef(SendModel):
    """A media object by uploaded ``id`` *or* by ``link``, never both (audio, sticker)."""

    id: str | None = Field(default=None, min_length=1)
    link: HttpUrlStr | None = None

    @model_validator(mode="after")
    def _id_xor_link(self) -> Self:
        if (self.id is None) == (self.link is None):
            raise ValueError("exactly one of id and link is required")
        return self


class CaptionedMedia(MediaRef):
    """Image and video: a media object with an optional caption (at most 1024 characters)."""

    caption: str | None = Field(default=None, max_length=CAPTION_MAX)


class DocumentRef(CaptionedMedia):
    """Document: captioned media plus the ``filename`` the customer sees."""

    filename: str | None = Field(default=None, min_length=1)
