"""Building blocks of Meta send bodies: split text, attachments, quick-reply choices.

Meta's limits (reference ``meta-whatsapp.md`` sections 3, 4 and 6) are enforced by the send
models in :mod:`schemas.meta`; the choices here are about what to do when an agent's message
does not fit them, each written down in ``docs/mapping.md``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Sequence
from typing import Final, Literal
from urllib.parse import urlsplit

from pydantic import ValidationError

from connectors.translate.calls import UPLOADED_MEDIA_ID, MediaUpload, UploadSource
from connectors.translate.context import Recipient
from schemas.genesys.webhook import ConversationContentAttachment
from schemas.meta.interactive import (
    ButtonAction,
    ButtonInteractive,
    ButtonReplyId,
    InteractiveBody,
    ListAction,
    ListInteractive,
    ListRow,
    ListSection,
    ReplyButton,
    SendInteractive,
)
from schemas.meta.send import (
    TEXT_MAX,
    SendAudio,
    SendDocument,
    SendImage,
    SendMessage,
    SendText,
    SendVideo,
    TextContent,
)
from schemas.meta.send_common import CAPTION_MAX, CaptionedMedia, DocumentRef, MediaRef

MetaKind = Literal["image", "video", "audio", "document"]

KINDS: Final[dict[str, MetaKind]] = {
    "Image": "image",
    "Video": "video",
    "Audio": "audio",
    "File": "document",
}
"""WhatsApp message type of each Genesys ``mediaType``; any other type goes as a document."""

ACCEPTED_MIMES: Final[dict[MetaKind, frozenset[str]]] = {
    "image": frozenset({"image/jpeg", "image/png"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
}
"""What Meta plays inline (reference section 4); anything else is sent as a document, e.g. the
GIFs Genesys's default outbound profile allows, which Meta refuses as ``image``."""

CAPTIONED: Final = frozenset({"image", "video", "document"})
"""The kinds that take a caption (audio does not)."""

CHOICE_PROMPT: Final = "Please choose an option."
"""The body of a quick-reply message whose text is empty (Meta requires a body)."""

LIST_BUTTON: Final = "Options"
"""The label of the button that opens a list (at most 20 characters)."""

_URL: Final = re.compile(r"https?://\S", re.IGNORECASE)
_BREAKS: Final = ("\n\n", "\n", " ")


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at paragraph, line or word.

    A piece is never shorter than half the limit because of a break: with no break in its
    second half, the text is cut hard at the limit. Whitespace at the cuts is dropped.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut, skip = limit, 0
        for separator in _BREAKS:
            at = window.rfind(separator)
            if at >= limit // 2:
                cut, skip = at, len(separator)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut + skip :].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_bodies(to: Recipient, text: str) -> list[SendMessage]:
    """Text messages, split at :data:`TEXT_MAX`; ``preview_url`` on pieces holding a link."""
    return [
        SendText(
            messaging_product="whatsapp",
            **to.fields(),
            type="text",
            text=TextContent(body=piece, preview_url=True if _URL.search(piece) else None),
        )
        for piece in split_text(text)
    ]


def _mime(attachment: ConversationContentAttachment) -> str:
    if attachment.mime:
        return attachment.mime
    for name in (attachment.filename, urlsplit(attachment.url or "").path):
        guessed, _ = mimetypes.guess_type(name or "", strict=False)
        if guessed:
            return guessed
    return "application/octet-stream"


def meta_kind(media_type: str, mime: str) -> MetaKind:
    """The WhatsApp type an attachment is sent as (see :data:`ACCEPTED_MIMES`)."""
    kind = KINDS.get(media_type, "document")
    accepted = ACCEPTED_MIMES.get(kind)
    base = mime.split(";", 1)[0].strip().lower()
    return "document" if accepted is not None and base not in accepted else kind


def attachment_bodies(
    to: Recipient, attachment: ConversationContentAttachment, url: str, caption: str | None
) -> tuple[MediaUpload, SendMessage, bool]:
    """The upload, the send by uploaded id, and whether ``caption`` was used.

    ``caption`` is used only by a kind that takes one and only when it fits (1024).
    """
    mime = _mime(attachment)
    kind = meta_kind(attachment.media_type, mime)
    upload = MediaUpload(type=mime, file=UploadSource(url=url, filename=attachment.filename))
    fits = caption is not None and kind in CAPTIONED and len(caption) <= CAPTION_MAX
    used = caption if fits else None
    media = CaptionedMedia(id=UPLOADED_MEDIA_ID, caption=used)
    send: SendMessage
    if kind == "image":
        send = SendImage(
            messaging_product="whatsapp",
            **to.fields(),
            type="image",
            image=media,
        )
    elif kind == "video":
        send = SendVideo(
            messaging_product="whatsapp",
            **to.fields(),
            type="video",
            video=media,
        )
    elif kind == "audio":
        send = SendAudio(
            messaging_product="whatsapp",
            **to.fields(),
            type="audio",
            audio=MediaRef(id=UPLOADED_MEDIA_ID),
        )
    else:
        send = SendDocument(
            messaging_product="whatsapp",
            **to.fields(),
            type="document",
            document=DocumentRef(
                id=UPLOADED_MEDIA_ID, caption=used, filename=attachment.filename or None
            ),
        )
    return upload, send, used is not None


def _buttons(body: str, options: Sequence[tuple[str, str]]) -> ButtonInteractive:
    return ButtonInteractive(
        type="button",
        body=InteractiveBody(text=body),
        action=ButtonAction(
            buttons=[
                ReplyButton(type="reply", reply=ButtonReplyId(id=key, title=title))
                for key, title in options
            ]
        ),
    )


def _list(body: str, options: Sequence[tuple[str, str]]) -> ListInteractive:
    rows = [ListRow(id=key, title=title) for key, title in options]
    return ListInteractive(
        type="list",
        body=InteractiveBody(text=body),
        action=ListAction(button=LIST_BUTTON, sections=[ListSection(rows=rows)]),
    )


Builder = Callable[[str, Sequence[tuple[str, str]]], ButtonInteractive | ListInteractive]


def choice_bodies(
    to: Recipient, text: str, options: Sequence[tuple[str, str]]
) -> list[SendMessage]:
    """Quick replies as reply buttons, else as a list, else as text with numbered options.

    Args:
        to: the customer (a group gets numbered text: the Groups API sends no interactive
            messages).
        text: the message text (the body above the choices).
        options: ``(id, title)`` pairs; the id comes back in the customer's tap.

    Buttons need at most 3 unique titles of at most 20 characters, a list at most 10 rows
    with titles of at most 24; both need a body of at most 1024. The send models hold these
    limits, so whichever builds first wins and nothing is truncated.
    """
    body = text.strip() or CHOICE_PROMPT
    builders: tuple[Builder, ...] = () if to.is_group else (_buttons, _list)
    for build in builders:
        try:
            content = build(body, options)
        except ValidationError:
            continue  # does not fit this shape's limits: try the next one
        return [
            SendInteractive(
                messaging_product="whatsapp",
                **to.fields(),
                type="interactive",
                interactive=content,
            )
        ]
    numbered = "\n".join(f"{n}. {title}" for n, (_key, title) in enumerate(options, start=1))
    return text_bodies(to, f"{text.strip()}\n\n{numbered}" if text.strip() else numbered)
