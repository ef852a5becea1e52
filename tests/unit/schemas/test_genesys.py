"""Genesys Open Messaging: every body we build passes the strict JSON Schemas (the contract),
the reference examples parse or are rejected as expected.json says, and the webhook parser
keeps what it does not know.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas.genesys import (
    OUTBOUND_WEBHOOK,
    REASON_CODES,
    ContentButtonResponse,
    ConversationChannelMetadata,
    ConversationEventTyping,
    ConversationReason,
    MediaType,
    OpenContentAttachment,
    OpenEvent,
    OpenEventNormalizedMessage,
    OpenInboundMessageContent,
    OpenInboundMessageMessagingChannel,
    OpenInboundMessagingChannel,
    OpenInboundMessagingReceiptChannel,
    OpenInboundNormalizedEvent,
    OpenInboundNormalizedMessage,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
    OpenMessageNormalizedMessage,
    OpenMessagingFromRecipient,
    OpenMessagingToRecipient,
    OpenReceiptNormalizedMessage,
    OpenStructuredNormalizedMessage,
    OpenUnknownNormalizedMessage,
)
from tests.unit.schemas.reference import GENESYS_EXAMPLES, load_json, schema_errors

AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
CUSTOMER = OpenMessagingFromRecipient(
    id="+15551234567", id_type="Phone", nickname="Ana Souza", first_name="Ana", last_name="Souza"
)
GENESYS_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")

INBOUND_MODELS: dict[str, type[BaseModel]] = {
    "inbound-message": OpenInboundNormalizedMessage,
    "inbound-receipt": OpenInboundNormalizedReceipt,
    "inbound-event": OpenInboundNormalizedEvent,
    "inbound-structured-response": OpenInboundStructuredResponseMessage,
}


def wire(model: BaseModel) -> Any:
    """The body as wagen sends it."""
    return model.model_dump(mode="json", exclude_none=True)


def message_channel(**extra: Any) -> OpenInboundMessageMessagingChannel:
    """The channel of a customer message carrying a wamid."""
    return OpenInboundMessageMessagingChannel(
        from_=CUSTOMER,
        time=AT,
        message_id="wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQUZCMUQ2QzNGQzI4ODk5RkU5NQA=",
        **extra,
    )


def attachment(media_type: MediaType, mime: str, **extra: Any) -> OpenInboundMessageContent:
    """One attachment content item at a signed wagen media link."""
    return OpenInboundMessageContent(
        attachment=OpenContentAttachment(
            media_type=media_type, url="https://media.wagen.example/m/3f1c9a7e", mime=mime, **extra
        )
    )


def receipt_to() -> OpenInboundMessagingReceiptChannel:
    """The channel of a receipt for the customer."""
    return OpenInboundMessagingReceiptChannel(
        to=OpenMessagingToRecipient(id="+15551234567", id_type="Phone"), time=AT
    )


BUILT: list[tuple[str, str, BaseModel]] = [
    (
        "text",
        "inbound-message",
        OpenInboundNormalizedMessage(channel=message_channel(), text="Hi, my order"),
    ),
    (
        "image-with-caption",
        "inbound-message",
        OpenInboundNormalizedMessage(
            channel=message_channel(),
            text="Photo of the damaged box",
            content=[
                attachment(
                    "Image",
                    "image/jpeg",
                    filename="3f1c9a7e.jpg",
                    sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    text="Photo of the damaged box",
                )
            ],
            metadata={"source": "whatsapp", "phoneNumberId": "106540352242922"},
        ),
    ),
    (
        "video",
        "inbound-message",
        OpenInboundNormalizedMessage(
            channel=message_channel(), content=[attachment("Video", "video/mp4")]
        ),
    ),
    (
        "audio",
        "inbound-message",
        OpenInboundNormalizedMessage(
            channel=message_channel(), content=[attachment("Audio", "audio/ogg")]
        ),
    ),
    (
        "document",
        "inbound-message",
        OpenInboundNormalizedMessage(
            channel=message_channel(),
            content=[attachment("File", "application/pdf", filename="INV.pdf")],
        ),
    ),
    (
        "sub-type-metadata",
        "inbound-message",
        OpenInboundNormalizedMessage(
            channel=message_channel(metadata=ConversationChannelMetadata(sub_type="None")), text="x"
        ),
    ),
    (
        "delivered",
        "inbound-receipt",
        OpenInboundNormalizedReceipt(
            id="8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
            channel=receipt_to(),
            status="Delivered",
            is_final_receipt=True,
        ),
    ),
    *[
        (
            f"failed-{code}",
            "inbound-receipt",
            OpenInboundNormalizedReceipt(
                id="8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
                channel=receipt_to(),
                status="Failed",
                is_final_receipt=True,
                reasons=[ConversationReason(code=code, message=f"WhatsApp said {code}")],
            ),
        )
        for code in REASON_CODES
    ],
    (
        "typing",
        "inbound-event",
        OpenInboundNormalizedEvent(
            channel=OpenInboundMessagingChannel(from_=CUSTOMER, time=AT),
            events=[OpenEvent(event_type="Typing")],
        ),
    ),
    (
        "quick-reply-answer",
        "inbound-structured-response",
        OpenInboundStructuredResponseMessage(
            channel=message_channel(),
            button_response=ContentButtonResponse(
                type="QuickReply", text="Track my order", payload="TRACK_ORDER"
            ),
            originating_message_id="2f0b6c1d9e8a4b7c8d6e5f4a3b2c1d0e",
        ),
    ),
    (
        "button-answer",
        "inbound-structured-response",
        OpenInboundStructuredResponseMessage(
            channel=message_channel(),
            button_response=ContentButtonResponse(
                type="Button", text="Yes", payload="resolved-yes"
            ),
            originating_message_id="2f0b6c1d9e8a4b7c8d6e5f4a3b2c1d0e",
        ),
    ),
]


@pytest.mark.parametrize(
    ("kind", "model"), [(k, m) for _, k, m in BUILT], ids=[n for n, _, _ in BUILT]
)
def test_built_bodies_pass_the_strict_schemas(kind: str, model: BaseModel) -> None:
    body = wire(model)
    assert schema_errors(kind, body) == []
    assert schema_errors(kind, body, overlays=True) == []
    assert GENESYS_TIME.fullmatch(body["channel"]["time"])
    assert type(model).model_validate(body) == model  # and we read our own bodies back


def test_every_reason_code_is_one_genesys_knows() -> None:
    built = {
        m.reasons[0].code
        for _, _, m in BUILT
        if isinstance(m, OpenInboundNormalizedReceipt) and m.reasons is not None
    }
    assert built == set(REASON_CODES)
    assert len(REASON_CODES) == 13


def test_overlay_fields_pass_only_the_overlay_schemas() -> None:
    typing = OpenInboundNormalizedEvent(
        channel=OpenInboundMessagingChannel(from_=CUSTOMER, time=AT),
        events=[
            OpenEvent(event_type="Typing", typing=ConversationEventTyping(type="On", duration=5000))
        ],
    )
    custom = OpenInboundNormalizedMessage(
        channel=message_channel(
            metadata=ConversationChannelMetadata(custom_attributes={"rating": "5"})
        ),
        text="x",
    )
    for kind, model in (("inbound-event", typing), ("inbound-message", custom)):
        assert schema_errors(kind, wire(model), overlays=True) == []
        assert schema_errors(kind, wire(model)) != []


def test_the_wire_is_camel_case() -> None:
    body = wire(BUILT[1][2])
    assert set(body["channel"]) == {"from", "time", "messageId"}
    assert set(body["channel"]["from"]) == {"id", "idType", "nickname", "firstName", "lastName"}
    assert set(body["content"][0]["attachment"]) == {
        "mediaType",
        "url",
        "mime",
        "filename",
        "sha256",
        "text",
    }


def test_time_is_sent_in_utc_with_milliseconds() -> None:
    local = datetime(2025, 3, 14, 11, 26, 53, 120_999, tzinfo=timezone(timedelta(hours=2)))
    body = wire(
        OpenInboundNormalizedMessage(
            channel=OpenInboundMessageMessagingChannel(from_=CUSTOMER, time=local), text="x"
        )
    )
    assert body["channel"]["time"] == "2025-03-14T09:26:53.120Z"


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValidationError):
        OpenInboundMessagingChannel(from_=CUSTOMER, time=datetime(2025, 3, 14, 9, 26, 53))


def test_enum_case_variants_are_sent_in_genesys_spelling() -> None:
    recipient = OpenMessagingFromRecipient.model_validate({"id": "a@b.c", "idType": "email"})
    assert wire(recipient) == {"id": "a@b.c", "idType": "Email"}
    reason = ConversationReason.model_validate({"code": "messageexpired", "message": "m"})
    assert reason.code == "MessageExpired"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: OpenInboundNormalizedMessage(channel=message_channel()), "needs text or content"),
        (
            lambda: OpenInboundNormalizedMessage(channel=message_channel(), text="  "),
            "needs text or content",
        ),
        (
            lambda: OpenInboundNormalizedReceipt(id="g1", channel=receipt_to(), status="Failed"),
            "needs at least one reason",
        ),
        (
            lambda: OpenInboundNormalizedReceipt(
                id="g1",
                channel=receipt_to(),
                status="Delivered",
                reasons=[ConversationReason(code="GeneralError", message="m")],
            ),
            "only used with status Failed",
        ),
        (
            lambda: OpenInboundNormalizedReceipt.model_validate(
                {"id": "g1", "channel": wire(receipt_to()), "status": "Read"}
            ),
            "Delivered",
        ),
        (
            lambda: OpenInboundNormalizedReceipt.model_validate(
                {"id": "g1", "channel": wire(receipt_to()), "status": "Sent"}
            ),
            "Delivered",
        ),
        (
            lambda: ConversationReason.model_validate({"code": "WindowClosed", "message": "m"}),
            "MessageExpired",
        ),
        (
            lambda: OpenInboundNormalizedEvent(
                channel=OpenInboundMessagingChannel(from_=CUSTOMER, time=AT), events=[]
            ),
            "at least 1",
        ),
        (
            lambda: OpenContentAttachment.model_validate(
                {"mediaType": "Sticker", "url": "https://x.example/s", "mime": "image/webp"}
            ),
            "'Image'",
        ),
        (
            lambda: OpenInboundNormalizedMessage.model_validate(
                {"channel": wire(message_channel()), "text": "x", "metadata": {"a": {"b": "c"}}}
            ),
            "valid string",
        ),
    ],
    ids=[
        "message-empty",
        "message-blank",
        "failed-without-reason",
        "delivered-with-reason",
        "read-receipt",
        "sent-receipt",
        "unknown-reason-code",
        "no-events",
        "unknown-media-type",
        "nested-metadata",
    ],
)
def test_bodies_genesys_would_refuse_cannot_be_built(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_legacy_fields_cannot_be_sent() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        OpenInboundNormalizedMessage.model_validate(
            {"channel": wire(message_channel()), "text": "x", "direction": "Inbound"}
        )


EXPECTED = load_json(GENESYS_EXAMPLES / "expected.json")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_examples_parse_or_are_rejected_as_expected(name: str) -> None:
    kind, valid = EXPECTED[name]["kind"], EXPECTED[name]["valid"]
    raw = load_json(GENESYS_EXAMPLES / name)
    if kind == "outbound-webhook":
        parse: Any = OUTBOUND_WEBHOOK.validate_python
    else:
        parse = INBOUND_MODELS[kind].model_validate
    if not valid:
        with pytest.raises(ValidationError):
            parse(raw)
        return
    parsed = parse(raw)
    if kind != "outbound-webhook":
        # What we would send in its place passes the strict schema (overlays where it uses one).
        overlays = kind == "inbound-event"
        assert schema_errors(kind, wire(parsed), overlays=overlays) == []


def test_every_example_file_is_listed() -> None:
    assert {
        path.name for path in GENESYS_EXAMPLES.glob("*.json") if path.name != "expected.json"
    } == set(EXPECTED)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in GENESYS_EXAMPLES.glob("outbound_webhook_*_ok.json"))
)
def test_outbound_webhook_examples_parse_and_keep_everything(name: str) -> None:
    raw_text = (GENESYS_EXAMPLES / name).read_text(encoding="utf-8")
    parsed = OUTBOUND_WEBHOOK.validate_json(raw_text)
    assert not isinstance(parsed, OpenUnknownNormalizedMessage)
    assert parsed.channel.to.id == "+15551234567"
    assert parsed.id
    assert OUTBOUND_WEBHOOK.dump_python(parsed, mode="json", exclude_none=True) == load_json(
        GENESYS_EXAMPLES / name
    )


def test_text_with_attachment_and_direction() -> None:
    parsed = OUTBOUND_WEBHOOK.validate_python(
        load_json(GENESYS_EXAMPLES / "outbound_webhook_image_ok.json")
    )
    assert isinstance(parsed, OpenMessageNormalizedMessage)
    assert parsed.content is not None
    attached = parsed.content[0].attachment
    assert attached is not None
    assert (attached.media_type, attached.mime, attached.filename) == (
        "Image",
        "image/png",
        "return-label.png",
    )
    assert parsed.direction == "Outbound"


def test_typing_event() -> None:
    parsed = OUTBOUND_WEBHOOK.validate_python(
        load_json(GENESYS_EXAMPLES / "outbound_webhook_typing_ok.json")
    )
    assert isinstance(parsed, OpenEventNormalizedMessage)
    assert parsed.events[0].event_type == "Typing"
    assert parsed.events[0].typing is not None
    assert parsed.events[0].typing.duration == 5000


def webhook_channel() -> dict[str, Any]:
    """The channel of a webhook body, as in the reference's text example."""
    channel: dict[str, Any] = load_json(GENESYS_EXAMPLES / "outbound_webhook_text_ok.json")[
        "channel"
    ]
    return channel


def test_structured_quick_replies() -> None:
    raw = {
        "id": "s1",
        "channel": webhook_channel(),
        "type": "Structured",
        "text": "Do you want to proceed?",
        "content": [
            {
                "contentType": "QuickReply",
                "quickReply": {"text": "Yes", "payload": "YES", "action": "Message"},
            },
            {
                "contentType": "QuickReply",
                "quickReply": {"text": "No", "payload": "NO", "action": "Message"},
            },
        ],
        "direction": "Outbound",
    }
    parsed = OUTBOUND_WEBHOOK.validate_python(raw)
    assert isinstance(parsed, OpenStructuredNormalizedMessage)
    assert [c.quick_reply.payload for c in parsed.content if c.quick_reply] == ["YES", "NO"]


def test_receipt_on_the_webhook() -> None:
    raw = {
        "id": "r1",
        "channel": webhook_channel(),
        "type": "Receipt",
        "status": "Delivered",
        "isFinalReceipt": True,
        "direction": "Outbound",
    }
    parsed = OUTBOUND_WEBHOOK.validate_python(raw)
    assert isinstance(parsed, OpenReceiptNormalizedMessage)
    assert (parsed.status, parsed.is_final_receipt) == ("Delivered", True)


def test_an_unknown_type_is_kept_raw() -> None:
    raw = {
        "id": "u1",
        "type": "Presence",
        "channel": {"anything": [1]},
        "presence": {"state": "away"},
    }
    parsed = OUTBOUND_WEBHOOK.validate_python(raw)
    assert isinstance(parsed, OpenUnknownNormalizedMessage)
    assert parsed.type == "Presence"
    assert parsed.model_extra == {"channel": {"anything": [1]}, "presence": {"state": "away"}}


@pytest.mark.parametrize(
    ("mutate", "location"),
    [
        (lambda b: b["channel"].update(platform="WhatsApp"), ("channel", "platform")),
        (lambda b: b.pop("id"), ("id",)),
        (lambda b: b["channel"].pop("to"), ("channel", "to")),
        (lambda b: b["channel"].update(time="yesterday"), ("channel", "time")),
        (
            lambda b: b.update(
                content=[{"contentType": "Attachment", "attachment": {"mediaType": "Image"}}] * 2
            ),
            (),
        ),
    ],
    ids=["platform-not-open", "no-id", "no-recipient", "bad-time", "two-attachments"],
)
def test_a_malformed_known_webhook_is_rejected(mutate: Any, location: tuple[str, ...]) -> None:
    body = load_json(GENESYS_EXAMPLES / "outbound_webhook_text_ok.json")
    mutate(body)
    with pytest.raises(ValidationError) as caught:
        OUTBOUND_WEBHOOK.validate_python(body)
    assert caught.value.errors()[0]["loc"] == location


def test_an_unknown_media_type_from_genesys_still_parses() -> None:
    body = load_json(GENESYS_EXAMPLES / "outbound_webhook_image_ok.json")
    body["content"][0]["attachment"]["mediaType"] = "Sticker"
    parsed = OUTBOUND_WEBHOOK.validate_python(body)
    assert isinstance(parsed, OpenMessageNormalizedMessage)
    assert parsed.content is not None
    assert parsed.content[0].attachment is not None
    assert parsed.content[0].attachment.media_type == "Sticker"


def test_webhook_enums_are_read_case_insensitively_as_the_sdks_do() -> None:
    """Genesys's SDKs compare enums with ``lower()``: ``"text"`` is a Text message, never
    an unknown type dropped in silence; every enum holds Genesys's spelling afterwards."""
    body = load_json(GENESYS_EXAMPLES / "outbound_webhook_image_ok.json")
    body["type"] = "text"
    body["direction"] = "OUTBOUND"
    body["channel"].update(platform="open", type="PRIVATE")
    body["channel"]["to"]["idType"] = "phone"
    body["content"][0]["contentType"] = "attachment"
    body["content"][0]["attachment"]["mediaType"] = "IMAGE"
    parsed = OUTBOUND_WEBHOOK.validate_python(body)
    assert isinstance(parsed, OpenMessageNormalizedMessage)
    assert (parsed.type, parsed.direction) == ("Text", "Outbound")
    assert (parsed.channel.platform, parsed.channel.type) == ("Open", "Private")
    assert parsed.channel.to.id_type == "Phone"
    assert parsed.content is not None
    assert parsed.content[0].content_type == "Attachment"
    assert parsed.content[0].attachment is not None
    assert parsed.content[0].attachment.media_type == "Image"
    typing = {
        **load_json(GENESYS_EXAMPLES / "outbound_webhook_typing_ok.json"),
        "type": "EVENT",
        "events": [{"eventType": "typing", "typing": {"type": "on"}}],
    }
    event = OUTBOUND_WEBHOOK.validate_python(typing)
    assert isinstance(event, OpenEventNormalizedMessage)
    assert event.events[0].event_type == "Typing"
    assert event.events[0].typing is not None
    assert event.events[0].typing.type == "On"
    receipt = OUTBOUND_WEBHOOK.validate_python({**typing, "type": "receipt", "status": "failed"})
    assert isinstance(receipt, OpenReceiptNormalizedMessage)
    assert receipt.status == "Failed"
