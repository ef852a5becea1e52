"""Inbound WhatsApp messages: every type parses to its model, oddities fall back, nothing lost.

The payloads are shaped like reference/meta-whatsapp.md section 2.2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.meta import (
    MESSAGE_MODELS,
    AudioMessage,
    ButtonMessage,
    ContactsMessage,
    DocumentMessage,
    ImageMessage,
    InteractiveMessage,
    LocationMessage,
    MessageBase,
    MessagesChange,
    OrderMessage,
    ReactionMessage,
    RequestWelcomeMessage,
    StickerMessage,
    SystemMessage,
    TextMessage,
    UnknownMessage,
    UnsupportedMessage,
    VideoMessage,
    WebhookPayload,
)
from schemas.meta.content import (
    ButtonReplyInteractive,
    ListReplyInteractive,
    NfmReplyInteractive,
    OtherInteractive,
)
from schemas.meta.webhook import Entry
from schemas.parsing import Rejected
from tests.unit.schemas.bodies import message, webhook_body, webhook_value

IMAGE = {
    "id": "1003383421387256",
    "mime_type": "image/jpeg",
    "sha256": "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
    "caption": "photo of the box",
    "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
}


def parse_item(msg: dict[str, Any]) -> MessageBase | Rejected:
    """The single ``messages[]`` item of a body holding ``msg``: a message, or rejected."""
    payload = WebhookPayload.model_validate(webhook_body(webhook_value(messages=[msg])))
    entry = payload.entry[0]
    assert isinstance(entry, Entry)
    change = entry.changes[0]
    assert isinstance(change, MessagesChange)
    messages = change.value.messages
    assert messages is not None
    assert len(messages) == 1
    return messages[0]


def parse_one(msg: dict[str, Any]) -> MessageBase:
    """The single message of a body holding ``msg``."""
    parsed = parse_item(msg)
    assert isinstance(parsed, MessageBase), parsed
    return parsed


Check = Callable[[Any], object]

CASES: list[tuple[dict[str, Any], type[MessageBase], Check, object]] = [
    (
        message("text", {"body": "Hi, my order did not arrive"}),
        TextMessage,
        lambda m: m.text.body,
        "Hi, my order did not arrive",
    ),
    (
        message("image", IMAGE),
        ImageMessage,
        lambda m: (m.image.id, m.image.caption),
        (IMAGE["id"], "photo of the box"),
    ),
    (
        message("video", {"id": "765756756", "mime_type": "video/mp4", "caption": "c"}),
        VideoMessage,
        lambda m: (m.video.id, m.video.mime_type),
        ("765756756", "video/mp4"),
    ),
    (
        message("audio", {"id": "123", "mime_type": "audio/ogg; codecs=opus", "voice": True}),
        AudioMessage,
        lambda m: m.audio.voice,
        True,
    ),
    (
        message("document", {"id": "9", "mime_type": "application/pdf", "filename": "INV.pdf"}),
        DocumentMessage,
        lambda m: m.document.filename,
        "INV.pdf",
    ),
    (
        message("sticker", {"id": "8", "mime_type": "image/webp", "animated": True}),
        StickerMessage,
        lambda m: m.sticker.animated,
        True,
    ),
    (
        message(
            "location",
            {
                "latitude": -23.5505,
                "longitude": -46.6333,
                "name": "Loja Centro",
                "address": "Rua X",
            },
        ),
        LocationMessage,
        lambda m: (m.location.latitude, m.location.longitude, m.location.name),
        (-23.5505, -46.6333, "Loja Centro"),
    ),
    (
        message("location", {"latitude": 12.25089, "longitude": 43.90539}),
        LocationMessage,
        lambda m: (m.location.name, m.location.address),
        (None, None),
    ),
    (
        message(
            "contacts",
            contacts=[
                {
                    "name": {"formatted_name": "João Lima", "first_name": "João"},
                    "phones": [
                        {"phone": "+55 11 91234-5678", "wa_id": "5511912345678", "type": "CELL"}
                    ],
                }
            ],
        ),
        ContactsMessage,
        lambda m: (m.contacts[0].name.formatted_name, m.contacts[0].phones[0].wa_id),
        ("João Lima", "5511912345678"),
    ),
    (
        message(
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "resolved-yes", "title": "Yes"}},
            context={"from": "15550001111", "id": "wamid.OUT2"},
        ),
        InteractiveMessage,
        lambda m: (type(m.interactive), m.interactive.button_reply.id, m.context.id),
        (ButtonReplyInteractive, "resolved-yes", "wamid.OUT2"),
    ),
    (
        message(
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "order_status", "title": "Order status"}},
        ),
        InteractiveMessage,
        lambda m: (
            type(m.interactive),
            m.interactive.list_reply.id,
            m.interactive.list_reply.description,
        ),
        (ListReplyInteractive, "order_status", None),
    ),
    (
        message(
            "interactive",
            {
                "type": "nfm_reply",
                "nfm_reply": {
                    "name": "flow",
                    "body": "Sent",
                    "response_json": '{"flow_token":"tkn-1","rating":"5"}',
                },
            },
        ),
        InteractiveMessage,
        lambda m: (type(m.interactive), m.interactive.nfm_reply.response()),
        (NfmReplyInteractive, {"flow_token": "tkn-1", "rating": "5"}),
    ),
    (
        message("interactive", {"type": "call_permission_reply", "call_permission_reply": {}}),
        InteractiveMessage,
        lambda m: (type(m.interactive), m.interactive.type),
        (OtherInteractive, "call_permission_reply"),
    ),
    (
        message(
            "button",
            {"payload": "REOPEN_4711", "text": "Reopen ticket"},
            context={"from": "15550001111", "id": "wamid.TEMPLATE1"},
        ),
        ButtonMessage,
        lambda m: (m.button.payload, m.button.text),
        ("REOPEN_4711", "Reopen ticket"),
    ),
    (
        message("reaction", {"message_id": "wamid.OUT1", "emoji": "👍"}),
        ReactionMessage,
        lambda m: (m.reaction.message_id, m.reaction.emoji),
        ("wamid.OUT1", "👍"),
    ),
    (
        message("reaction", {"message_id": "wamid.OUT1"}),
        ReactionMessage,
        lambda m: m.reaction.emoji,
        None,
    ),
    (
        message(
            "order",
            {
                "catalog_id": "194836987003835",
                "text": "",
                "product_items": [
                    {
                        "product_retailer_id": "SKU-1",
                        "quantity": 2,
                        "item_price": 30.0,
                        "currency": "BRL",
                    }
                ],
            },
        ),
        OrderMessage,
        lambda m: (m.order.catalog_id, m.order.product_items[0].quantity),
        ("194836987003835", 2),
    ),
    (
        message(
            "system",
            {
                "body": "User Ana changed from 5511987654321 to 5511900000000",
                "wa_id": "5511900000000",
                "type": "user_changed_number",
            },
        ),
        SystemMessage,
        lambda m: (m.system.type, m.system.wa_id),
        ("user_changed_number", "5511900000000"),
    ),
    (
        message(
            "unsupported",
            {"type": "poll"},
            errors=[
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": {"details": "Message type is currently not supported."},
                }
            ],
        ),
        UnsupportedMessage,
        lambda m: (m.unsupported.type, m.errors[0].code, m.errors[0].error_data.details),
        ("poll", 131051, "Message type is currently not supported."),
    ),
    (
        message("unsupported", errors=[{"code": 131060, "title": "coexistence"}]),
        UnsupportedMessage,
        lambda m: (m.unsupported, m.errors[0].code),
        (None, 131060),
    ),
    (
        message("request_welcome"),
        RequestWelcomeMessage,
        lambda m: (m.type, m.model_extra),
        ("request_welcome", {}),
    ),
    (
        message("revoke", {"original_message_id": "wamid.OLD"}),
        UnknownMessage,
        lambda m: (m.type, m.problem, m.model_extra["revoke"]),
        ("revoke", None, {"original_message_id": "wamid.OLD"}),
    ),
]


@pytest.mark.parametrize(
    ("raw", "model", "check", "expected"),
    CASES,
    ids=[f"{case[0]['type']}-{i}" for i, case in enumerate(CASES)],
)
def test_every_type_parses_to_its_model(
    raw: dict[str, Any], model: type[MessageBase], check: Check, expected: object
) -> None:
    parsed = parse_one(raw)
    assert type(parsed) is model
    assert check(parsed) == expected
    assert parsed.id == raw["id"]
    assert parsed.sent_at == datetime(2025, 10, 9, 8, 53, 20, tzinfo=UTC)
    # Nothing Meta sent is lost: the dump is the input again.
    assert parsed.model_dump(mode="json", exclude_none=True) == raw


def test_the_table_covers_every_modelled_type() -> None:
    assert {case[1] for case in CASES} >= set(MESSAGE_MODELS.values())


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"from": "15550001111", "id": "wamid.OUT1"}, ("15550001111", "wamid.OUT1", None, None)),
        ({"forwarded": True}, (None, None, True, None)),
        ({"frequently_forwarded": True}, (None, None, None, True)),
    ],
)
def test_reply_and_forward_context(context: dict[str, Any], expected: tuple[object, ...]) -> None:
    parsed = parse_one(message("text", {"body": "Yes, that one"}, context=context))
    assert parsed.context is not None
    got = (parsed.context.from_, parsed.context.id, parsed.context.forwarded)
    assert (*got, parsed.context.frequently_forwarded) == expected


def test_referred_product_context() -> None:
    context = {
        "from": "15550783881",
        "id": "wamid.X",
        "referred_product": {"catalog_id": "194836987003835", "product_retailer_id": "di9ozbzfi4"},
    }
    parsed = parse_one(message("text", {"body": "Is this still available?"}, context=context))
    assert parsed.context is not None
    assert parsed.context.referred_product is not None
    assert parsed.context.referred_product.product_retailer_id == "di9ozbzfi4"


def test_click_to_whatsapp_referral() -> None:
    referral = {
        "source_url": "https://fb.me/xyz",
        "source_id": "1202263058",
        "source_type": "ad",
        "headline": "Chat with us",
        "media_type": "image",
        "ctwa_clid": "ARAk",
        "welcome_message": {"text": "Hi! How can we help?"},
    }
    parsed = parse_one(message("text", {"body": "Hello"}, referral=referral))
    assert parsed.referral is not None
    assert parsed.referral.ctwa_clid == "ARAk"
    assert parsed.referral.welcome_message is not None
    assert parsed.referral.welcome_message.text == "Hi! How can we help?"


def test_unknown_fields_are_kept_at_every_level() -> None:
    raw = message("text", {"body": "hi", "new_text_field": 1}, brand_new={"nested": [1, 2]})
    parsed = parse_one(raw)
    assert parsed.model_extra == {"brand_new": {"nested": [1, 2]}}
    assert isinstance(parsed, TextMessage)
    assert parsed.text.model_extra == {"new_text_field": 1}


def test_business_scoped_sender_without_from() -> None:
    raw = message("text", {"body": "hi"}, from_user_id="US.13491208655302741918")
    del raw["from"]
    parsed = parse_one(raw)
    assert parsed.from_ is None
    assert parsed.from_user_id == "US.13491208655302741918"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (
            message("interactive", context={"from": "1", "id": "wamid.X"}),
            "interactive: Field required",
        ),
        (message("text", {"body": 5}), "text.body: Input should be a valid string"),
        (message("image", {"mime_type": "image/jpeg"}), "image.id: Field required"),
        (message("location", {"latitude": "north", "longitude": 1}), "location.latitude: "),
    ],
    ids=["interactive-without-object", "text-body-not-string", "image-without-id", "bad-latitude"],
)
def test_a_malformed_known_type_falls_back_and_says_why(raw: dict[str, Any], problem: str) -> None:
    parsed = parse_one(raw)
    assert type(parsed) is UnknownMessage
    assert parsed.type == raw["type"]
    assert parsed.problem is not None
    assert parsed.problem.startswith(problem)
    assert parsed.model_dump(mode="json", exclude_none=True) == raw


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda m: m.pop("id"), "id", "Field required"),
        (lambda m: m.pop("timestamp"), "timestamp", "Field required"),
        (lambda m: m.update(timestamp="yesterday"), "timestamp", "digits only"),
        (lambda m: m.update(timestamp="99999999999999"), "timestamp", "out of range"),
        (lambda m: m.update(timestamp="9" * 5000), "timestamp", "out of range"),
        (lambda m: m.update(timestamp=10**40), "timestamp", "out of range"),
        (lambda m: m.update(timestamp="-5"), "timestamp", "digits only"),
        (lambda m: m.pop("type"), "type", "Field required"),
        (lambda m: m.update(type=7), "type", "valid string"),
    ],
    ids=[
        "no-id",
        "no-timestamp",
        "timestamp-not-digits",
        "timestamp-beyond-9999",
        "timestamp-of-5000-digits",
        "timestamp-huge-number",
        "timestamp-negative",
        "no-type",
        "type-not-string",
    ],
)
def test_a_broken_base_rejects_the_message_alone(
    mutate: Callable[[dict[str, Any]], object], field: str, reason: str
) -> None:
    raw = message("text", {"body": "hi"})
    mutate(raw)
    good = message("text", {"body": "fine"}, id="wamid.GOOD")
    payload = WebhookPayload.model_validate(webhook_body(webhook_value(messages=[raw, good])))
    [(path, rejected)] = payload.rejected()
    assert path == "entry[0].changes[0].value.messages[0]"
    assert (rejected.raw, rejected.field) == (raw, field)
    assert reason in rejected.reason
    entry = payload.entry[0]
    assert isinstance(entry, Entry)
    change = entry.changes[0]
    assert isinstance(change, MessagesChange)
    assert change.value.messages is not None
    sibling = change.value.messages[1]
    assert isinstance(sibling, TextMessage)
    assert sibling.text.body == "fine"


def test_a_huge_timestamp_says_out_of_range_not_digits_only() -> None:
    with pytest.raises(ValidationError, match="out of range: 99999999999999 is after 9999"):
        TextMessage.model_validate(message("text", {"body": "hi"}, timestamp="99999999999999"))


def test_timestamp_as_a_number_is_accepted() -> None:
    raw = message("text", {"body": "hi"}, timestamp=1760000000)
    assert parse_one(raw).timestamp == "1760000000"


def test_a_fallback_survives_a_round_trip() -> None:
    raw = message("interactive")
    parsed = parse_one(raw)
    again = parse_one(parsed.model_dump(mode="json", exclude_none=True))
    assert again == parsed
    assert isinstance(again, UnknownMessage)
    assert again.problem == "interactive: Field required"


def test_nfm_reply_with_bad_json_has_no_response() -> None:
    raw = message("interactive", {"type": "nfm_reply", "nfm_reply": {"response_json": "not json"}})
    parsed = parse_one(raw)
    assert isinstance(parsed, InteractiveMessage)
    assert isinstance(parsed.interactive, NfmReplyInteractive)
    assert parsed.interactive.nfm_reply.response() is None
