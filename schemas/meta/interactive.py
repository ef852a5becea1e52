"""Interactive send bodies: reply buttons, lists and the CTA URL button.

Limits (Docs: .../messages/interactive-reply-buttons-messages, .../interactive-list-messages,
.../interactive-cta-url-messages): body 1024, footer 60, header text 60; at most 3 reply
buttons with unique titles of at most 20 characters and ids of at most 256; a list button
label of at most 20, at most 10 sections and 10 rows *in total*, row title 24, description
72, id 200, and section titles required once there is more than one section.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.meta._base import SendModel
from schemas.meta.send_common import CaptionedMedia, DocumentRef, HttpUrlStr, SendBase


class InteractiveBody(SendModel):
    """``body`` of an interactive message."""

    text: str = Field(min_length=1, max_length=1024)


class InteractiveFooter(SendModel):
    """``footer`` of an interactive message."""

    text: str = Field(min_length=1, max_length=60)


class InteractiveHeader(SendModel):
    """``header``: text, or one media object matching ``type``."""

    type: Literal["text", "image", "video", "document"]
    text: str | None = Field(default=None, min_length=1, max_length=60)
    image: CaptionedMedia | None = None
    video: CaptionedMedia | None = None
    document: DocumentRef | None = None

    @model_validator(mode="after")
    def _content_matches_type(self) -> Self:
        present = {name for name in ("text", "image", "video", "document") if getattr(self, name)}
        if present != {self.type}:
            raise ValueError(f"a {self.type!r} header needs exactly its {self.type!r} field")
        return self


class ButtonReplyId(SendModel):
    """``reply`` of a reply button: the ``id`` comes back in the customer's tap."""

    id: str = Field(min_length=1, max_length=256)
    title: str = Field(min_length=1, max_length=20)


class ReplyButton(SendModel):
    """One reply button; ``reply`` is the only type Meta supports."""

    type: Literal["reply"]
    reply: ButtonReplyId


class ButtonAction(SendModel):
    """``action`` of a reply-buttons message: 1 to 3 buttons, unique titles and ids."""

    buttons: list[ReplyButton] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        titles = [button.reply.title for button in self.buttons]
        ids = [button.reply.id for button in self.buttons]
        if len(set(titles)) != len(titles) or len(set(ids)) != len(ids):
            raise ValueError("button titles and ids must be unique")
        return self


class ButtonInteractive(SendModel):
    """``interactive`` with ``type: button``: up to three reply buttons."""

    type: Literal["button"]
    header: InteractiveHeader | None = None
    body: InteractiveBody
    footer: InteractiveFooter | None = None
    action: ButtonAction


class ListRow(SendModel):
    """A list row; its ``id`` comes back in the customer's ``list_reply``."""

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=24)
    description: str | None = Field(default=None, max_length=72)


class ListSection(SendModel):
    """A list section."""

    title: str | None = Field(default=None, min_length=1, max_length=24)
    rows: list[ListRow] = Field(min_length=1, max_length=10)


class ListAction(SendModel):
    """``action`` of a list message: the button label and the sections."""

    button: str = Field(min_length=1, max_length=20)
    sections: list[ListSection] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _rows_in_total(self) -> Self:
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > 10:
            raise ValueError(f"{len(rows)} rows in total; a list holds at most 10")
        if len({row.id for row in rows}) != len(rows):
            raise ValueError("row ids must be unique across sections")
        if len(self.sections) > 1 and any(section.title is None for section in self.sections):
            raise ValueError("every section needs a title when there are several")
        return self


class ListInteractive(SendModel):
    """``interactive`` with ``type: list`` (header, when given, is text only)."""

    type: Literal["list"]
    header: InteractiveHeader | None = None
    body: InteractiveBody
    footer: InteractiveFooter | None = None
    action: ListAction

    @model_validator(mode="after")
    def _text_header(self) -> Self:
        if self.header is not None and self.header.type != "text":
            raise ValueError("a list header must be of type text")
        return self


class CtaUrlParameters(SendModel):
    """``action.parameters`` of a CTA URL button."""

    display_text: str = Field(min_length=1, max_length=20)
    url: HttpUrlStr


class CtaUrlAction(SendModel):
    """``action`` of a CTA URL message."""

    name: Literal["cta_url"]
    parameters: CtaUrlParameters


class CtaUrlInteractive(SendModel):
    """``interactive`` with ``type: cta_url``: one button that opens a URL."""

    type: Literal["cta_url"]
    header: InteractiveHeader | None = None
    body: InteractiveBody
    footer: InteractiveFooter | None = None
    action: CtaUrlAction


InteractiveContent = Annotated[
    ButtonInteractive | ListInteractive | CtaUrlInteractive, Field(discriminator="type")
]
"""The ``interactive`` object of a send body, chosen by its ``type``."""


class SendInteractive(SendBase):
    """An interactive message (buttons, list or CTA URL)."""

    type: Literal["interactive"]
    interactive: InteractiveContent
