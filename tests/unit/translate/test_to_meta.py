"""Genesys outbound webhook -> Meta calls: one table row per message kind, the limits, the
errors; and every send body produced here passes Meta's own spec (``validate_send.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.translate import (
    UPLOADED_MEDIA_ID,
    GenesysPayloadError,
    MetaCall,
    MetaEndpoint,
    MetaTarget,
    Recipient,
    outbound_to_meta,
    parse_outbound,
    read_outbound,
    split_text,
)
from schemas.meta import SEND_BODY
from schemas.meta.send import SendText
from tests.unit.translate.support import (
    PHONE_NUMBER_ID,
    meta_target,
    send_failures,
    validate_send,
    wire,
)

TO = "+15551234567"
FILE_URL = "https://api.mypurecloud.com/api/v2/downloads/0123456789abcdef"


def outbound(type_: str = "Text", **fields: Any) -> dict[str, Any]:
    """A webhook body shaped like the reference's ``outbound_webhook_*`` examples."""
    return {
        "id": "8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
        "channel": {
            "id": "c6b0e62f-8487-44fd-a218-c16e006a7a23",
            "platform": "Open",
            "type": "Private",
            "to": {"id": TO, "idType": "Phone"},
            "from": {"id": "c6b0e62f", "idType": "Opaque", "nickname": "Bridge"},
            "time": "2025-03-14T09:30:59.412Z",
            "messageId": "8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
        },
        "type": type_,
        "direction": "Outbound",
        **fields,
    }


def attachment(media_type: str, mime: str | None, filename: str | None = None) -> dict[str, Any]:
    """A ``content[]`` item holding one attachment."""
    item: dict[str, Any] = {"mediaType": media_type, "url": FILE_URL}
    if mime:
        item["mime"] = mime
    if filename:
        item["filename"] = filename
    return {"contentType": "Attachment", "attachment": item}


def quick_replies(*titles: str, payloads: bool = True) -> list[dict[str, Any]]:
    """``QuickReply`` content items (payload ``P<n>`` unless ``payloads`` is false)."""
    return [
        {
            "contentType": "QuickReply",
            "quickReply": {"text": title, **({"payload": f"P{n}"} if payloads else {})},
        }
        for n, title in enumerate(titles, start=1)
    ]


def translate(body: dict[str, Any], last_inbound: dict[str, str] | None = None) -> list[MetaCall]:
    """The Meta calls of one raw webhook body."""
    return outbound_to_meta(parse_outbound(body), meta_target(last_inbound))


def shapes(calls: list[MetaCall]) -> list[str]:
    """``edge:type`` of each call, e.g. ``media:image/png`` then ``messages:image``."""
    result = []
    for call in calls:
        body = wire(call)
        kind = body.get("type") or ("read" if body.get("status") == "read" else "?")
        result.append(f"{call.endpoint.value}:{kind}")
    return result


LONG = " ".join(["word"] * 1500)  # 7499 characters
TEN_TITLES = [f"Topic {n}" for n in range(1, 11)]

ROWS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "text": (outbound(text="Hello Ana"), ["messages:text"]),
    "text-with-link": (outbound(text="Track: https://example.com/t/4711"), ["messages:text"]),
    "text-over-4096": (outbound(text=LONG), ["messages:text", "messages:text"]),
    "image-with-caption": (
        outbound(text="Here is the label.", content=[attachment("Image", "image/png", "l.png")]),
        ["media:image/png", "messages:image"],
    ),
    "gif-as-document": (
        outbound(text="Look", content=[attachment("Image", "image/gif", "a.gif")]),
        ["media:image/gif", "messages:document"],
    ),
    "video": (
        outbound(content=[attachment("Video", "video/mp4")]),
        ["media:video/mp4", "messages:video"],
    ),
    "audio-then-its-text": (
        outbound(text="Listen", content=[attachment("Audio", "audio/mpeg")]),
        ["media:audio/mpeg", "messages:audio", "messages:text"],
    ),
    "file-with-filename": (
        outbound(text="Invoice", content=[attachment("File", "application/pdf", "INV-1.pdf")]),
        ["media:application/pdf", "messages:document"],
    ),
    "mime-guessed-from-filename": (
        outbound(content=[attachment("Image", None, "label.jpeg")]),
        ["media:image/jpeg", "messages:image"],
    ),
    "unknown-media-type-as-document": (
        outbound(content=[attachment("Hologram", "application/x-holo")]),
        ["media:application/x-holo", "messages:document"],
    ),
    "link-in-the-text": (
        outbound(
            text="See",
            content=[
                {"contentType": "Attachment", "attachment": {"mediaType": "Link", "url": FILE_URL}}
            ],
        ),
        ["messages:text"],
    ),
    "caption-too-long": (
        outbound(text="x" * 1500, content=[attachment("Image", "image/jpeg")]),
        ["media:image/jpeg", "messages:image", "messages:text"],
    ),
    "quick-replies-as-buttons": (
        outbound("Structured", text="Resolved?", content=quick_replies("Yes", "No")),
        ["messages:interactive"],
    ),
    "quick-replies-as-list": (
        outbound("Structured", text="Pick a topic", content=quick_replies(*TEN_TITLES)),
        ["messages:interactive"],
    ),
    "quick-replies-as-numbered-text": (
        outbound("Structured", text="Pick", content=quick_replies(*TEN_TITLES, "Topic 11")),
        ["messages:text"],
    ),
    "quick-replies-without-text": (
        outbound("Structured", content=quick_replies("A", "B", payloads=False)),
        ["messages:interactive"],
    ),
    "structured-with-attachment": (
        outbound(
            "Structured",
            text="Which size?",
            content=[attachment("Image", "image/png"), *quick_replies("S", "M", "L")],
        ),
        ["media:image/png", "messages:image", "messages:interactive"],
    ),
    "structured-without-quick-replies": (
        outbound("Structured", text="Just text"),
        ["messages:text"],
    ),
    "typing": (
        outbound(
            "Event", events=[{"eventType": "Typing", "typing": {"type": "On", "duration": 5000}}]
        ),
        ["messages:read"],
    ),
    "typing-without-known-wamid": (
        outbound(
            "Event",
            events=[{"eventType": "Typing", "typing": {"type": "On"}}],
            channel={**outbound()["channel"], "to": {"id": "+19990000000"}},
        ),
        [],
    ),
    "receipt": (outbound("Receipt", status="Delivered", isFinalReceipt=True), []),
    "unknown-type": ({"type": "Presence", "id": "x"}, []),
    "text-with-nothing": (outbound(), []),
}


@pytest.mark.parametrize("name", ROWS)
def test_each_genesys_body_becomes_the_expected_meta_calls(name: str) -> None:
    body, expected = ROWS[name]
    calls = translate(body, {TO: "wamid.IN9"})
    assert shapes(calls) == expected
    for call in calls:
        assert call.path == f"/{PHONE_NUMBER_ID}/{call.endpoint.value}"
        sent = wire(call)
        assert "biz_opaque_callback_data" not in sent
        if call.endpoint is MetaEndpoint.MESSAGES and "to" in sent:
            assert sent["to"] == TO


def bodies(name: str) -> list[dict[str, Any]]:
    """The wire bodies of the calls of row ``name``."""
    body, _ = ROWS[name]
    return [wire(call) for call in translate(body, {TO: "wamid.IN9"})]


def test_text_and_preview() -> None:
    (plain,) = bodies("text")
    assert plain == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Hello Ana"},
    }
    (linked,) = bodies("text-with-link")
    assert linked["text"] == {"body": "Track: https://example.com/t/4711", "preview_url": True}


def test_long_text_is_split_at_words_and_loses_nothing() -> None:
    pieces = [body["text"]["body"] for body in bodies("text-over-4096")]
    assert all(len(piece) <= 4096 for piece in pieces)
    assert " ".join(pieces) == LONG


def test_split_text_prefers_paragraphs_then_lines_then_words_then_cuts() -> None:
    assert split_text("aaaa\n\nbbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("aaa bbb\nccc", limit=8) == ["aaa bbb", "ccc"]
    assert split_text("aaaa bbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("a" * 10, limit=4) == ["aaaa", "aaaa", "aa"]
    assert split_text("a bbbbbbbbb", limit=6) == ["a bbbb", "bbbbb"]  # a break too early: cut
    assert split_text("   ", limit=4) == []


def test_attachment_is_uploaded_then_sent_by_id_with_the_text_as_caption() -> None:
    upload, send = bodies("image-with-caption")
    assert upload == {
        "messaging_product": "whatsapp",
        "type": "image/png",
        "file": {"url": FILE_URL, "filename": "l.png"},
    }
    assert send["image"] == {"id": UPLOADED_MEDIA_ID, "caption": "Here is the label."}
    _, document = bodies("file-with-filename")
    assert document["document"] == {
        "id": UPLOADED_MEDIA_ID,
        "caption": "Invoice",
        "filename": "INV-1.pdf",
    }
    _, audio, text = bodies("audio-then-its-text")
    assert audio["audio"] == {"id": UPLOADED_MEDIA_ID}
    assert text["text"]["body"] == "Listen"
    _, image, long_text = bodies("caption-too-long")
    assert "caption" not in image["image"]
    assert long_text["text"]["body"] == "x" * 1500
    (link,) = bodies("link-in-the-text")
    assert link["text"] == {"body": f"See\n{FILE_URL}", "preview_url": True}


def test_the_upload_id_replaces_the_placeholder() -> None:
    upload, send = translate(outbound(content=[attachment("Image", "image/png")]))
    assert not upload.needs_media_id
    assert upload.with_media_id("123") is upload
    assert send.needs_media_id
    resolved = send.with_media_id("1479537139650973")
    assert not resolved.needs_media_id
    assert wire(resolved)["image"] == {"id": "1479537139650973"}
    assert resolved.path == send.path


def test_quick_replies_become_buttons_a_list_or_numbered_text() -> None:
    (buttons,) = bodies("quick-replies-as-buttons")
    assert buttons["interactive"] == {
        "type": "button",
        "body": {"text": "Resolved?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "P1", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "P2", "title": "No"}},
            ]
        },
    }
    (listed,) = bodies("quick-replies-as-list")
    assert listed["interactive"]["type"] == "list"
    assert listed["interactive"]["action"]["button"] == "Options"
    rows = listed["interactive"]["action"]["sections"][0]["rows"]
    assert [(row["id"], row["title"]) for row in rows] == [
        (f"P{n}", f"Topic {n}") for n in range(1, 11)
    ]
    (numbered,) = bodies("quick-replies-as-numbered-text")
    assert numbered["text"]["body"].startswith("Pick\n\n1. Topic 1\n2. Topic 2\n")
    assert numbered["text"]["body"].endswith("\n11. Topic 11")
    (untitled,) = bodies("quick-replies-without-text")
    assert untitled["interactive"]["body"] == {"text": "Please choose an option."}
    assert [b["reply"]["id"] for b in untitled["interactive"]["action"]["buttons"]] == ["A", "B"]
    *_, sizes = bodies("structured-with-attachment")
    assert sizes["interactive"]["body"] == {"text": "Which size?"}


@pytest.mark.parametrize(
    ("titles", "kind"),
    [
        (("A title of 21 chars..", "B"), "list"),  # too long for a button, fits a row
        (("A title of twenty-five ch", "B"), "text"),  # too long for a row too
        (("Same", "Same"), "list"),  # button titles must be unique, row titles need not
    ],
)
def test_quick_replies_fall_back_when_they_do_not_fit(titles: tuple[str, ...], kind: str) -> None:
    (body,) = [wire(c) for c in translate(outbound("Structured", content=quick_replies(*titles)))]
    assert (body["interactive"]["type"] if body["type"] == "interactive" else "text") == kind


def test_typing_marks_the_latest_inbound_message_read_with_the_indicator() -> None:
    (read,) = bodies("typing")
    assert read == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN9",
        "typing_indicator": {"type": "text"},
    }
    stop = outbound("Event", events=[{"eventType": "Typing", "typing": {"type": "Off"}}])
    assert translate(stop, {TO: "wamid.IN9"}) == []


def to(customer_id: str) -> dict[str, Any]:
    """The channel of an outbound body addressed to ``customer_id``."""
    return {**outbound()["channel"], "to": {"id": customer_id, "idType": "Opaque"}}


def test_a_business_scoped_user_id_is_answered_by_recipient() -> None:
    (call,) = translate(outbound(text="Hi", channel=to("US.13491208655302741918")))
    body = wire(call)
    assert body["recipient"] == "US.13491208655302741918"
    assert body["recipient_type"] == "individual"
    assert "to" not in body


@pytest.mark.parametrize(
    "customer_id", ["15551234567", "+1 555 123-4567", "+1 (555) 123-4567", " +15551234567 "]
)
def test_a_number_in_any_formatting_is_answered_by_to(customer_id: str) -> None:
    (call,) = translate(outbound(text="Hi", channel=to(customer_id)))
    assert wire(call)["to"] == TO


def test_an_id_that_is_neither_a_number_nor_a_bsuid_cannot_be_answered() -> None:
    body = outbound(text="Hi", channel=to("someone@example.com"))
    with pytest.raises(GenesysPayloadError) as caught:
        translate(body)
    assert caught.value.field == "channel.to.id"
    assert "business-scoped user id" in caught.value.reason


def test_the_identity_store_decides_how_a_customer_is_addressed() -> None:
    body = outbound(text="Hi", channel=to("US.13491208655302741918"))
    known_number = MetaTarget(PHONE_NUMBER_ID, recipient=Recipient("phone", "+5511900000000"))
    (call,) = outbound_to_meta(parse_outbound(body), known_number)
    assert (wire(call)["to"], "recipient" in wire(call)) == ("+5511900000000", False)


GROUP = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"


def test_a_group_is_answered_through_the_groups_api_without_interactive_messages() -> None:
    group = MetaTarget(
        PHONE_NUMBER_ID,
        last_inbound_wamid=lambda _: "wamid.IN9",
        recipient=Recipient("group", GROUP),
    )
    body = outbound("Structured", text="Pick one", content=quick_replies("Yes", "No"))
    (call,) = outbound_to_meta(parse_outbound(body), group)
    sent = wire(call)
    assert (sent["recipient_type"], sent["to"], sent["type"]) == ("group", GROUP, "text")
    assert sent["text"]["body"] == "Pick one\n\n1. Yes\n2. No"
    typing = outbound("Event", events=[{"eventType": "Typing", "typing": {"type": "On"}}])
    assert outbound_to_meta(parse_outbound(typing), group) == []


def test_an_attachment_without_url_names_the_field() -> None:
    item = {"contentType": "Attachment", "attachment": {"mediaType": "Image", "mime": "image/png"}}
    with pytest.raises(GenesysPayloadError) as caught:
        translate(outbound(text="x", content=[item]))
    assert caught.value.field == "content[0].attachment.url"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b'{"type": "Text", "id": "x"}', "channel"),
        (b'{"type": "Text", "id": "x", "channel": {"to": {"id": "+1"}}}', "channel.from"),
    ],
)
def test_invalid_bodies_name_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(GenesysPayloadError) as caught:
        parse_outbound(raw, tenant_id="acme")
    assert caught.value.field == field
    assert caught.value.tenant_id == "acme"
    assert not caught.value.retriable


def test_every_send_body_built_here_passes_metas_spec(tmp_path: Path) -> None:
    sends = []
    for name, (body, _) in ROWS.items():
        for call in translate(body, {TO: "wamid.IN9"}):
            if call.endpoint is MetaEndpoint.MESSAGES:
                sent = wire(call)
                assert SEND_BODY.validate_python(sent) == call.body, name
                sends.append(sent)
    report = validate_send(sends, tmp_path)
    assert send_failures(report) == {}


def test_bodies_to_a_bsuid_or_a_group_pass_metas_spec_but_for_the_v25_recipient_field(
    tmp_path: Path,
) -> None:
    """Meta's stored spec is v23, which addresses by ``to`` (a number) only: a BSUID body
    passes it once its v25 ``recipient`` is swapped for a number's ``to`` (the one v25
    difference, checked apart by the send models' BSUID pattern); a group body as it is."""
    bsuid = outbound(text="Hi", channel=to("US.13491208655302741918"))
    group = MetaTarget(PHONE_NUMBER_ID, recipient=Recipient("group", GROUP))
    sends = [wire(call) for call in translate(bsuid)]
    sends += [wire(c) for c in outbound_to_meta(parse_outbound(outbound(text="Hi")), group)]
    parsed = SEND_BODY.validate_python(sends[0])
    assert isinstance(parsed, SendText)
    assert parsed.recipient == "US.13491208655302741918"
    as_v23 = [
        {key: value for key, value in body.items() if key != "recipient"}
        | ({"to": TO} if "recipient" in body else {})
        for body in sends
    ]
    report = validate_send(as_v23, tmp_path)
    assert send_failures(report) == {}


def test_a_lower_case_type_is_sent_not_dropped() -> None:
    """``"type": "text"`` used to parse as an unknown type and send nothing, silently."""
    body = outbound("text", text="Hello Ana")
    body["content"] = [
        {
            "contentType": "attachment",
            "attachment": {"mediaType": "image", "url": FILE_URL, "mime": "image/png"},
        }
    ]
    assert shapes(translate(body)) == ["media:image/png", "messages:image"]
    typing = outbound("event", events=[{"eventType": "TYPING", "typing": {"type": "ON"}}])
    assert shapes(translate(typing, {TO: "wamid.IN9"})) == ["messages:read"]


def test_a_lone_surrogate_in_an_agents_text_reaches_the_customer_replaced() -> None:
    raw = json.dumps(outbound(text="Obrigado \ud83d")).encode()
    parsed = read_outbound(raw)
    assert parsed.repaired == ("text",)
    (send,) = outbound_to_meta(parsed.message, meta_target())
    assert wire(send)["text"] == {"body": "Obrigado \ufffd"}
