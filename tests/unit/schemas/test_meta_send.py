"""Send bodies: Meta's examples, the documented limits, and Meta's own spec as the judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.meta import SEND_BODY, GraphErrorResponse, MarkRead, SendResponse
from schemas.meta.interactive import (
    ButtonAction,
    ButtonInteractive,
    ButtonReplyId,
    CtaUrlAction,
    CtaUrlInteractive,
    CtaUrlParameters,
    InteractiveBody,
    InteractiveFooter,
    InteractiveHeader,
    ListAction,
    ListInteractive,
    ListRow,
    ListSection,
    ReplyButton,
    SendInteractive,
)
from schemas.meta.send import (
    CardName,
    CardPhone,
    ContactCard,
    LocationContent,
    ReactionContent,
    SendAudio,
    SendContacts,
    SendDocument,
    SendImage,
    SendLocation,
    SendReaction,
    SendSticker,
    SendText,
    SendVideo,
    TextContent,
    TypingIndicator,
)
from schemas.meta.send_common import CaptionedMedia, DocumentRef, MediaRef, ReplyContext
from schemas.meta.template import (
    BodyComponent,
    ButtonComponent,
    ButtonParameter,
    HeaderComponent,
    SendTemplate,
    TemplateContent,
    TemplateLanguage,
    TemplateParameter,
)
from tests.unit.schemas.reference import META_EXAMPLES, REFERENCE, load_json, read_tsv

EXPECTED = read_tsv(META_EXAMPLES / "EXPECTED.tsv")
TO = "+5511987654321"


@pytest.mark.parametrize("name", [row["file"] for row in EXPECTED if row["expected"] == "valid"])
def test_good_examples_validate_and_dump_unchanged(name: str) -> None:
    raw = load_json(META_EXAMPLES / name)
    body = SEND_BODY.validate_python(raw)
    assert body.model_dump(mode="json", exclude_none=True) == raw


@pytest.mark.parametrize(
    ("name", "why"),
    [(row["file"], row["reason"]) for row in EXPECTED if row["expected"] == "invalid"],
)
def test_bad_examples_are_rejected(name: str, why: str) -> None:
    with pytest.raises(ValidationError):
        SEND_BODY.validate_python(load_json(META_EXAMPLES / name))


def test_every_example_file_is_listed() -> None:
    on_disk = {path.name for path in META_EXAMPLES.glob("*.json")}
    assert on_disk == {row["file"] for row in EXPECTED}


def text(body: str, **extra: Any) -> dict[str, Any]:
    """A raw text send body."""
    return {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "text",
        "text": {"body": body},
    } | extra


def buttons(*titles: str) -> dict[str, Any]:
    """A raw reply-buttons body with one button per title."""
    return {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pick one"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": title}}
                    for i, title in enumerate(titles)
                ]
            },
        },
    }


def list_body(*section_sizes: int, titled: bool = True) -> dict[str, Any]:
    """A raw list body with sections of the given sizes."""
    sections = [
        {
            **({"title": f"S{s}"} if titled else {}),
            "rows": [{"id": f"r{s}-{r}", "title": f"Row {r}"} for r in range(size)],
        }
        for s, size in enumerate(section_sizes)
    ]
    return {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pick"},
            "action": {"button": "Menu", "sections": sections},
        },
    }


def media(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A raw media body."""
    return {"messaging_product": "whatsapp", "to": TO, "type": kind, kind: obj}


LIMITS: list[tuple[str, dict[str, Any], bool]] = [
    ("text-4096", text("x" * 4096), True),
    ("text-4097", text("x" * 4097), False),
    ("text-blank", text("   "), False),
    ("callback-data-512", text("hi", biz_opaque_callback_data="x" * 512), True),
    ("callback-data-513", text("hi", biz_opaque_callback_data="x" * 513), False),
    ("to-group-id", text("hi", recipient_type="group", to="120363025246125486@g.us"), True),
    ("to-without-plus", text("hi", to="5511987654321"), True),
    ("buttons-3", buttons("A", "B", "C"), True),
    ("buttons-4", buttons("A", "B", "C", "D"), False),
    ("buttons-0", buttons(), False),
    ("button-title-20", buttons("x" * 20), True),
    ("button-title-21", buttons("x" * 21), False),
    ("button-titles-duplicate", buttons("Yes", "Yes"), False),
    ("list-10-rows", list_body(6, 4), True),
    ("list-11-rows", list_body(6, 5), False),
    ("list-untitled-sections", list_body(1, 1, titled=False), False),
    ("list-one-untitled-section", list_body(3, titled=False), True),
    ("image-id-and-link", media("image", {"id": "1", "link": "https://x.example/a.png"}), False),
    ("image-neither-id-nor-link", media("image", {"caption": "c"}), False),
    ("image-link-not-http", media("image", {"link": "ftp://x.example/a.png"}), False),
    ("caption-1024", media("video", {"id": "1", "caption": "c" * 1024}), True),
    ("caption-1025", media("video", {"id": "1", "caption": "c" * 1025}), False),
    ("audio-caption", media("audio", {"id": "1", "caption": "no"}), False),
    ("sticker-by-link", media("sticker", {"link": "https://x.example/s.webp"}), True),
    ("location-lat-91", media("location", {"latitude": 91, "longitude": 0}), False),
    (
        "location-numeric-strings",
        media("location", {"latitude": "37.44", "longitude": "-122.1"}),
        True,
    ),
    (
        "contacts-6",
        media("contacts", {}) | {"contacts": [{"name": {"formatted_name": "A"}}] * 6},
        False,
    ),
    ("reaction-empty-emoji", media("reaction", {"message_id": "wamid.A", "emoji": ""}), True),
    ("reaction-no-emoji", media("reaction", {"message_id": "wamid.A"}), False),
    (
        "mark-read-without-typing",
        {"messaging_product": "whatsapp", "status": "read", "message_id": "w"},
        True,
    ),
    ("no-type", {"messaging_product": "whatsapp", "to": TO, "text": {"body": "hi"}}, False),
]


@pytest.mark.parametrize(
    ("body", "valid"), [(b, v) for _, b, v in LIMITS], ids=[n for n, _, _ in LIMITS]
)
def test_documented_limits(body: dict[str, Any], valid: bool) -> None:
    if valid:
        assert SEND_BODY.validate_python(body).model_dump(mode="json", exclude_none=True)
    else:
        with pytest.raises(ValidationError):
            SEND_BODY.validate_python(body)


def test_the_rejection_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        SEND_BODY.validate_python(buttons("x" * 21))
    assert caught.value.errors()[0]["loc"][-1] == "title"


def built_bodies() -> dict[str, Any]:
    """One body of every kind, built with the models as a translator would."""
    base: dict[str, Any] = {"messaging_product": "whatsapp", "to": TO}
    body = InteractiveBody(text="Was your issue resolved?")
    return {
        "text": SendText(
            **base,
            type="text",
            text=TextContent(body="Tracking: https://example.com/t/4711", preview_url=True),
            context=ReplyContext(message_id="wamid.AAB"),
        ),
        "image": SendImage(
            **base, type="image", image=CaptionedMedia(id="1479537139650973", caption="Label")
        ),
        "video": SendVideo(
            **base, type="video", video=CaptionedMedia(link="https://files.example.com/v.mp4")
        ),
        "audio": SendAudio(**base, type="audio", audio=MediaRef(id="1013859600285441")),
        "document": SendDocument(
            **base,
            type="document",
            document=DocumentRef(
                link="https://files.example.com/INV-001.pdf", filename="INV-001.pdf"
            ),
        ),
        "sticker": SendSticker(**base, type="sticker", sticker=MediaRef(id="1122334455")),
        "location": SendLocation(
            **base,
            type="location",
            location=LocationContent(latitude=-23.5505, longitude=-46.6333, name="Loja"),
        ),
        "contacts": SendContacts(
            **base,
            type="contacts",
            contacts=[
                ContactCard(
                    name=CardName(formatted_name="Support Team", first_name="Support"),
                    phones=[CardPhone(phone="+55 11 4000-0000", type="WORK")],
                )
            ],
        ),
        "buttons": SendInteractive(
            **base,
            type="interactive",
            interactive=ButtonInteractive(
                type="button",
                header=InteractiveHeader(type="text", text="Ticket 4711"),
                body=body,
                footer=InteractiveFooter(text="Support team"),
                action=ButtonAction(
                    buttons=[
                        ReplyButton(type="reply", reply=ButtonReplyId(id="yes", title="Yes")),
                        ReplyButton(type="reply", reply=ButtonReplyId(id="no", title="No")),
                    ]
                ),
            ),
        ),
        "buttons-image-header": SendInteractive(
            **base,
            type="interactive",
            interactive=ButtonInteractive(
                type="button",
                header=InteractiveHeader(
                    type="image", image=CaptionedMedia(link="https://x.example/a.png")
                ),
                body=body,
                action=ButtonAction(
                    buttons=[ReplyButton(type="reply", reply=ButtonReplyId(id="ok", title="OK"))]
                ),
            ),
        ),
        "list": SendInteractive(
            **base,
            type="interactive",
            interactive=ListInteractive(
                type="list",
                body=body,
                action=ListAction(
                    button="Topics",
                    sections=[
                        ListSection(title="Orders", rows=[ListRow(id="o1", title="Order status")]),
                        ListSection(
                            title="Account",
                            rows=[
                                ListRow(id="a1", title="Login", description="Problems signing in")
                            ],
                        ),
                    ],
                ),
            ),
        ),
        "cta_url": SendInteractive(
            **base,
            type="interactive",
            interactive=CtaUrlInteractive(
                type="cta_url",
                body=InteractiveBody(text="Track your parcel"),
                action=CtaUrlAction(
                    name="cta_url",
                    parameters=CtaUrlParameters(
                        display_text="Track", url="https://example.com/track/4711"
                    ),
                ),
            ),
        ),
        "template": SendTemplate(
            **base,
            type="template",
            template=TemplateContent(
                name="ticket_update",
                language=TemplateLanguage(code="pt_BR"),
                components=[
                    HeaderComponent(
                        type="header",
                        parameters=[
                            TemplateParameter(
                                type="image", image=CaptionedMedia(link="https://x.example/b.png")
                            )
                        ],
                    ),
                    BodyComponent(
                        type="body",
                        parameters=[
                            TemplateParameter(type="text", text="4711"),
                            TemplateParameter(type="text", text="resolvido"),
                        ],
                    ),
                    ButtonComponent(
                        type="button",
                        sub_type="quick_reply",
                        index="0",
                        parameters=[ButtonParameter(type="payload", payload="REOPEN_4711")],
                    ),
                ],
            ),
        ),
        "reaction": SendReaction(
            **base, type="reaction", reaction=ReactionContent(message_id="wamid.AAB", emoji="👍")
        ),
        "mark-read-typing": MarkRead(
            messaging_product="whatsapp",
            status="read",
            message_id="wamid.AAB",
            typing_indicator=TypingIndicator(type="text"),
        ),
    }


def test_built_bodies_validate_against_metas_spec(tmp_path: Path) -> None:
    """Every kind of body our models build passes reference/meta/validate_send.py.

    ``biz_opaque_callback_data`` is left out: Meta's v23 spec lacks it on messages (see
    ``SendBase``), and this test is about what the spec accepts.
    """
    files = []
    for name, model in built_bodies().items():
        dumped = model.model_dump(mode="json", exclude_none=True)
        assert SEND_BODY.validate_python(dumped) == model  # and our own models read it back
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(dumped, ensure_ascii=False), encoding="utf-8")
        files.append(str(path))
    script = REFERENCE / "meta" / "validate_send.py"
    result = subprocess.run(
        [sys.executable, str(script), "--kind", "send", "--json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    failures = {r["file"]: r["errors"] for r in report["results"] if not r["ok"]}
    assert failures == {}
    assert report["total"] == len(files)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "text", "image": CaptionedMedia(id="1")}, "'text' parameter needs exactly"),
        ({"type": "text"}, "'text' parameter needs exactly"),
    ],
)
def test_template_parameter_value_must_match_its_type(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TemplateParameter(**kwargs)


def test_header_content_must_match_its_type() -> None:
    with pytest.raises(ValidationError, match="needs exactly its 'image' field"):
        InteractiveHeader(type="image", text="not an image")


def test_graph_error_response() -> None:
    raw = {
        "error": {
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": 131047,
            "error_subcode": 2494010,
            "error_data": {"messaging_product": "whatsapp", "details": "24 hours have passed"},
            "fbtrace_id": "AbCdEf123",
        }
    }
    parsed = GraphErrorResponse.model_validate(raw)
    assert (parsed.error.code, parsed.error.error_subcode, parsed.error.fbtrace_id) == (
        131047,
        2494010,
        "AbCdEf123",
    )
    assert not isinstance(parsed.error.error_data, str)
    assert parsed.error.error_data is not None
    assert parsed.error.error_data.details == "24 hours have passed"
    assert parsed.model_dump(mode="json", exclude_none=True) == raw


def test_graph_error_with_string_error_data() -> None:
    parsed = GraphErrorResponse.model_validate(
        {"error": {"message": "Invalid parameter", "code": 100, "error_data": '{"blame":1}'}}
    )
    assert parsed.error.error_data == '{"blame":1}'


def test_send_response() -> None:
    raw = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+5511987654321", "wa_id": "5511987654321"}],
        "messages": [{"id": "wamid.OUT1", "message_status": "accepted"}],
    }
    parsed = SendResponse.model_validate(raw)
    assert parsed.messages[0].id == "wamid.OUT1"
    assert parsed.messages[0].message_status == "accepted"
