"""Template send bodies: the only messages allowed outside the 24-hour service window.

The template must be approved in that language, and the number of body parameters must match
it exactly (else error 132000); a wrong name or language gives 132001.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from schemas.meta._base import SendModel
from schemas.meta.send_common import CaptionedMedia, DocumentRef, SendBase


class TemplateLanguage(SendModel):
    """``language``: ``code`` such as ``en_US``; ``policy`` is optional in practice."""

    code: str = Field(min_length=1)
    policy: Literal["deterministic"] | None = None


class CurrencyValue(SendModel):
    """A localisable amount: ``amount_1000`` is the amount times 1000."""

    fallback_value: str
    code: str = Field(min_length=3, max_length=3)
    amount_1000: int


class DateTimeValue(SendModel):
    """A localisable date; Meta renders ``fallback_value`` as given."""

    fallback_value: str


class TemplateParameter(SendModel):
    """One header/body parameter: its ``type`` names the one value field that must be set.

    ``parameter_name`` is for templates created with named parameters.
    """

    type: Literal["text", "currency", "date_time", "image", "video", "document", "location"]
    parameter_name: str | None = None
    text: str | None = None
    currency: CurrencyValue | None = None
    date_time: DateTimeValue | None = None
    image: CaptionedMedia | None = None
    video: CaptionedMedia | None = None
    document: DocumentRef | None = None
    location: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _value_matches_type(self) -> Self:
        values = ("text", "currency", "date_time", "image", "video", "document", "location")
        present = {name for name in values if getattr(self, name) is not None}
        if present != {self.type}:
            raise ValueError(f"a {self.type!r} parameter needs exactly its {self.type!r} field")
        return self


class ButtonParameter(SendModel):
    """A button parameter: ``payload`` (quick reply), ``text`` (URL suffix) or ``action``."""

    type: Literal["payload", "text", "action", "coupon_code"]
    payload: str | None = None
    text: str | None = None
    action: dict[str, Any] | None = None
    coupon_code: str | None = None

    @model_validator(mode="after")
    def _value_matches_type(self) -> Self:
        values = ("payload", "text", "action", "coupon_code")
        present = {name for name in values if getattr(self, name) is not None}
        if present != {self.type}:
            raise ValueError(f"a {self.type!r} parameter needs exactly its {self.type!r} field")
        return self


class HeaderComponent(SendModel):
    """``header`` component: one parameter (text or media)."""

    type: Literal["header"]
    parameters: list[TemplateParameter] = Field(min_length=1)


class BodyComponent(SendModel):
    """``body`` component: as many parameters as the template has placeholders."""

    type: Literal["body"]
    parameters: list[TemplateParameter] = Field(min_length=1)


class ButtonComponent(SendModel):
    """``button`` component: ``index`` 0-9 (Meta's examples send it as a string)."""

    type: Literal["button"]
    sub_type: str = Field(min_length=1)
    index: Annotated[int, Field(ge=0, le=9)] | Annotated[str, Field(pattern=r"^[0-9]$")]
    parameters: list[ButtonParameter] = Field(min_length=1)


TemplateComponent = Annotated[
    HeaderComponent | BodyComponent | ButtonComponent, Field(discriminator="type")
]
"""One ``components[]`` item, chosen by ``type``."""


class TemplateContent(SendModel):
    """``template``: the approved template's ``name`` and ``language``, and the parameters."""

    name: str = Field(min_length=1, max_length=512)
    language: TemplateLanguage
    components: list[TemplateComponent] | None = None


class SendTemplate(SendBase):
    """A template message."""

    type: Literal["template"]
    template: TemplateContent
