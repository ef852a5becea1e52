"""WhatsApp messages -> Genesys: one table row per message type and context, shaped like the
reference's section 2.2; every body also passes Genesys's strict JSON Schema.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.meta.webhook import split_body
from connectors.translate import GenesysEndpoint, event_to_genesys, referenced_wamids
from schemas.events import MessageReceived
from tests.unit.schemas.bodies import (
    CUSTOMER,
    PHONE_NUMBER_ID,
    WABA_ID,
    customer_contact,
    message,
    webhook_body,
    webhook_value,
)
from tests.unit.translate.support import (
    INTEGRATION,
    MEDIA_BASE,
    assert_genesys_valid,
    events_of,
    genesys_target,
    message_event,
    wire,
)

SHA = hashlib.sha256(b"the photo").digest()
CTX = {"from": "15550001111", "id": "wamid.OUT1"}
MAP = "https://www.google.com/maps/search/?api=1&query="


@dataclass(frozen=True)
class Row:
    """One inbound message, what tracking knows, and the text/facts/attachment expected."""

    message: dict[str, Any]
    text: str | None
    facts: dict[str, str] = field(default_factory=dict)
    attachment: dict[str, Any] | None = None
    genesys_ids: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()


ROWS: dict[str, Row] = {
    "text": Row(
        message("text", {"body": "Hi, my order did not arrive"}), "Hi, my order did not arrive"
    ),
    "text-blank": Row(message("text", {"body": "  "}), "(empty message)"),
    "image-caption-sha256": Row(
        message(
            "image",
            {
                "id": "1003383421387256",
                "mime_type": "image/jpeg",
                "sha256": base64.b64encode(SHA).decode(),
                "caption": "photo of the box",
            },
        ),
        "photo of the box",
        {"media_id": "1003383421387256"},
        {
            "mediaType": "Image",
            "url": f"{MEDIA_BASE}/1003383421387256",
            "mime": "image/jpeg",
            "sha256": SHA.hex(),
            "text": "photo of the box",
        },
    ),
    "video-no-caption": Row(
        message("video", {"id": "2762702990552401", "mime_type": "video/mp4"}),
        None,
        {"media_id": "2762702990552401"},
        {"mediaType": "Video", "url": f"{MEDIA_BASE}/2762702990552401", "mime": "video/mp4"},
    ),
    "audio-voice-note": Row(
        message(
            "audio",
            {"id": "1013859600285441", "mime_type": "audio/ogg; codecs=opus", "voice": True},
        ),
        None,
        {"voice_note": "true"},
        {
            "mediaType": "Audio",
            "url": f"{MEDIA_BASE}/1013859600285441",
            "mime": "audio/ogg; codecs=opus",
        },
    ),
    "document-filename-bad-sha": Row(
        message(
            "document",
            {"id": "77", "mime_type": "application/pdf", "filename": "INV-1.pdf", "sha256": "xx"},
        ),
        None,
        {"media_id": "77"},
        {
            "mediaType": "File",
            "url": f"{MEDIA_BASE}/77",
            "mime": "application/pdf",
            "filename": "INV-1.pdf",
        },
    ),
    "sticker-animated-no-mime": Row(
        message("sticker", {"id": "88", "animated": True}),
        None,
        {"animated_sticker": "true"},
        {"mediaType": "Image", "url": f"{MEDIA_BASE}/88", "mime": "image/webp"},
    ),
    "location": Row(
        message(
            "location",
            {
                "latitude": -23.5505,
                "longitude": -46.6333,
                "name": "Loja Centro",
                "address": "Rua X, 100",
            },
        ),
        "Location: Loja Centro\nRua X, 100\nCoordinates: -23.5505, -46.6333\n"
        f"{MAP}-23.5505,-46.6333",
        {"latitude": "-23.5505", "longitude": "-46.6333"},
    ),
    "location-current": Row(
        message("location", {"latitude": 12.25, "longitude": 43.9}),
        f"Location shared\nCoordinates: 12.25, 43.9\n{MAP}12.25,43.9",
    ),
    "contacts": Row(
        message(
            "contacts",
            None,
            contacts=[
                {
                    "name": {"formatted_name": "João Lima", "first_name": "João"},
                    "phones": [
                        {"phone": "+55 11 91234-5678", "wa_id": "5511912345678", "type": "CELL"}
                    ],
                    "emails": [{"email": "joao@example.com", "type": "WORK"}],
                    "org": {"company": "ACME", "title": "Buyer"},
                },
                {"name": {"formatted_name": "Ana"}, "urls": [{"url": "https://ana.example"}]},
            ],
        ),
        "Contact: João Lima\n  Phone: +55 11 91234-5678 (CELL, on WhatsApp)\n"
        "  Email: joao@example.com (WORK)\n  Organization: ACME (Buyer)\n"
        "Contact: Ana\n  Website: https://ana.example",
        {"contact_cards": "2"},
    ),
    "button-reply-untracked": Row(
        message(
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "resolved-yes", "title": "Yes"}},
            context=CTX,
        ),
        "Yes",
        {"button_reply_id": "resolved-yes", "reply_to_message_id": "wamid.OUT1"},
    ),
    "list-reply-untracked": Row(
        message(
            "interactive",
            {
                "type": "list_reply",
                "list_reply": {
                    "id": "order_status",
                    "title": "Order status",
                    "description": "Where is it",
                },
            },
        ),
        "Order status\nWhere is it",
        {"list_reply_id": "order_status"},
    ),
    "flow-answer": Row(
        message(
            "interactive",
            {
                "type": "nfm_reply",
                "nfm_reply": {
                    "name": "survey",
                    "body": "Sent",
                    "response_json": '{"flow_token":"tkn-1","rating":"5"}',
                },
            },
        ),
        "Form answered (survey):\nrating: 5",
        {"flow_token": "tkn-1", "flow_name": "survey"},
    ),
    "flow-answer-not-json": Row(
        message(
            "interactive",
            {"type": "nfm_reply", "nfm_reply": {"body": "Sent", "response_json": "[1]"}},
        ),
        "Form answered:\nSent",
    ),
    "interactive-other": Row(
        message("interactive", {"type": "call_permission_reply"}),
        "The customer answered an interactive message wagen cannot show "
        "(type 'call_permission_reply').",
        {"interactive_type": "call_permission_reply"},
    ),
    "interactive-malformed": Row(
        message("interactive"),
        "The customer sent a message wagen cannot show yet (type 'interactive').",
        {"parse_problem": "interactive: Field required"},
    ),
    "template-button-untracked": Row(
        message("button", {"payload": "REOPEN_4711", "text": "Reopen ticket"}, context=CTX),
        "Reopen ticket",
        {"button_payload": "REOPEN_4711"},
    ),
    "reaction-quoted": Row(
        message("reaction", {"message_id": "wamid.OUT1", "emoji": "👍"}),
        "Reacted 👍 to “Your parcel left the warehouse”",
        {"reaction_to_message_id": "wamid.OUT1", "reaction_emoji": "👍"},
        texts={"wamid.OUT1": "Your parcel   left\nthe warehouse"},
    ),
    "reaction-untracked": Row(
        message("reaction", {"message_id": "wamid.OUT1", "emoji": "👍"}),
        "Reacted 👍 to message wamid.OUT1",
    ),
    "reaction-removed": Row(
        message("reaction", {"message_id": "wamid.OUT1", "emoji": ""}),
        "Removed their reaction to message wamid.OUT1",
        absent=("reaction_emoji",),
    ),
    "order": Row(
        message(
            "order",
            {
                "catalog_id": "194836987003835",
                "text": "no onions",
                "product_items": [
                    {
                        "product_retailer_id": "SKU-1",
                        "quantity": 2,
                        "item_price": 30.0,
                        "currency": "BRL",
                    },
                    {
                        "product_retailer_id": "SKU-2",
                        "quantity": 1,
                        "item_price": 9.5,
                        "currency": "BRL",
                    },
                ],
            },
        ),
        "Order from catalog 194836987003835:\n- 2 x SKU-1 at 30 BRL\n- 1 x SKU-2 at 9.50 BRL\n"
        "Total: 69.50 BRL\nNote: no onions",
        {"catalog_id": "194836987003835", "order_items": "2"},
    ),
    "order-two-currencies": Row(
        message(
            "order",
            {
                "catalog_id": "1",
                "product_items": [
                    {"product_retailer_id": "A", "quantity": 1, "item_price": 1, "currency": "BRL"},
                    {"product_retailer_id": "B", "quantity": 1, "item_price": 2, "currency": "USD"},
                ],
            },
        ),
        "Order from catalog 1:\n- 1 x A at 1 BRL\n- 1 x B at 2 USD",
    ),
    "order-without-prices": Row(
        message(
            "order",
            {
                "catalog_id": "7",
                "product_items": [
                    {"product_retailer_id": "SKU-1", "quantity": 2},
                    {"product_retailer_id": "SKU-2", "quantity": 1, "item_price": 9.5},
                    {"product_retailer_id": "SKU-3"},
                ],
            },
        ),
        "Order from catalog 7:\n- 2 x SKU-1\n- 1 x SKU-2 at 9.50\n- SKU-3",
        {"catalog_id": "7", "order_items": "3"},
        absent=("parse_problem",),
    ),
    "system-number-change": Row(
        message(
            "system",
            {
                "body": "User Ana changed from 5511987654321 to 5511900000000",
                "wa_id": "5511900000000",
                "type": "user_changed_number",
            },
        ),
        "System: User Ana changed from 5511987654321 to 5511900000000",
        {"system_type": "user_changed_number", "system_new_wa_id": "5511900000000"},
    ),
    "unsupported-poll": Row(
        message(
            "unsupported",
            {"type": "poll"},
            errors=[
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "error_data": {"details": "Message type is currently not supported."},
                }
            ],
        ),
        "The customer sent a message WhatsApp cannot deliver to businesses (poll).",
        {
            "unsupported_type": "poll",
            "error_code": "131051",
            "error_details": "Message type is currently not supported.",
        },
    ),
    "unknown-future-type": Row(
        message("poll_vote", {"option": 2}),
        "The customer sent a message wagen cannot show yet (type 'poll_vote').",
        {"message_type": "poll_vote"},
    ),
    "revoke-quoted": Row(
        message("revoke", {"original_message_id": "wamid.IN0"}),
        "The customer deleted “my card number is…”.",
        {"revoked_message_id": "wamid.IN0"},
        texts={"wamid.IN0": "my card number is…"},
    ),
    "edit": Row(
        message(
            "edit",
            {
                "original_message_id": "wamid.IN0",
                "message": {"type": "text", "text": {"body": "new"}},
            },
        ),
        "The customer edited message wamid.IN0: new",
        {"edited_message_id": "wamid.IN0"},
    ),
    "reply-quoted": Row(
        message("text", {"body": "Yes, that one"}, context=CTX),
        "[In reply to “Which order?”]\nYes, that one",
        {"reply_to_message_id": "wamid.OUT1", "reply_to_genesys_message_id": "g-1"},
        genesys_ids={"wamid.OUT1": "g-1"},
        texts={"wamid.OUT1": "Which order?"},
    ),
    "reply-untracked": Row(
        message("text", {"body": "Yes, that one"}, context=CTX),
        "Yes, that one",
        {"reply_to_message_id": "wamid.OUT1"},
        absent=("reply_to_genesys_message_id",),
    ),
    "forwarded": Row(
        message("text", {"body": "look"}, context={"forwarded": True}),
        "[Forwarded]\nlook",
        {"forwarded": "true"},
    ),
    "frequently-forwarded": Row(
        message("text", {"body": "look"}, context={"frequently_forwarded": True}),
        "[Forwarded many times]\nlook",
        {"forwarded": "many_times"},
    ),
    "click-to-whatsapp-ad": Row(
        message(
            "text",
            {"body": "Hi"},
            referral={
                "source_url": "https://fb.me/xyz",
                "source_id": "1202263058",
                "source_type": "ad",
                "headline": "Chat with us",
                "ctwa_clid": "ARAk",
            },
        ),
        "[Came from a WhatsApp ad: Chat with us]\nHi",
        {
            "referral_source_id": "1202263058",
            "referral_ctwa_clid": "ARAk",
            "referral_source_type": "ad",
        },
    ),
    "product-inquiry": Row(
        message(
            "text",
            {"body": "Still available?"},
            context={
                "from": "15550001111",
                "id": "wamid.P",
                "referred_product": {"catalog_id": "19", "product_retailer_id": "di9"},
            },
        ),
        "[About product di9 of catalog 19]\nStill available?",
        {"referred_catalog_id": "19", "referred_product_retailer_id": "di9"},
    ),
}


@pytest.mark.parametrize("name", ROWS)
def test_each_message_type_becomes_a_readable_genesys_message(name: str) -> None:
    row = ROWS[name]
    event = message_event(row.message)
    (call,) = event_to_genesys(event, genesys_target(row.genesys_ids, row.texts))
    assert call.endpoint is GenesysEndpoint.MESSAGE
    assert call.path == f"/api/v2/conversations/messages/{INTEGRATION}/inbound/open/message"
    body = wire(call)
    assert body.get("text") == row.text
    attachments = [item["attachment"] for item in body.get("content", [])]
    assert attachments == ([row.attachment] if row.attachment else [])
    metadata = body["metadata"]
    assert metadata | row.facts == metadata, f"missing or different facts: {row.facts}"
    assert not set(row.absent) & set(metadata)
    assert all(isinstance(value, str) and value for value in metadata.values())
    assert_genesys_valid(call)


def test_channel_carries_the_customer_the_wamid_and_the_meta_time() -> None:
    event = message_event(message("text", {"body": "Hi"}))
    (call,) = event_to_genesys(event, genesys_target())
    body = wire(call)
    assert body["channel"] == {
        "from": {
            "id": f"+{CUSTOMER}",
            "idType": "Phone",
            "nickname": "Ana Souza",
            "firstName": "Ana Souza",
        },
        "time": "2025-10-09T08:53:20.000Z",
        "messageId": "wamid.TEXT1",
        "metadata": {
            "customAttributes": {
                "wa_message_origin": "customer",
                "wa_waba_id": WABA_ID,
                "wa_phone_number_id": PHONE_NUMBER_ID,
                "wa_display_phone_number": "15550001111",
                "wa_window_closes_at": "2025-10-10T08:53:20.000Z",
            }
        },
    }
    assert body["metadata"] == {
        "source": "whatsapp",
        "message_type": "text",
        "wagen_event_id": str(event.event_id),
        "waba_id": WABA_ID,
        "phone_number_id": PHONE_NUMBER_ID,
        "display_phone_number": "15550001111",
        "wa_id": CUSTOMER,
    }


def test_a_customer_known_only_by_user_id_is_opaque() -> None:
    raw = message("text", {"body": "Hi"})
    del raw["from"]
    raw["from_user_id"] = "US.134912086553"
    contact = {"profile": {"name": "Ana", "username": "@ana"}, "user_id": "US.134912086553"}
    (call,) = event_to_genesys(message_event(raw, contacts=[contact]), genesys_target())
    body = wire(call)
    assert body["channel"]["from"]["id"] == "US.134912086553"
    assert body["channel"]["from"]["idType"] == "Opaque"
    assert body["metadata"]["user_id"] == "US.134912086553"
    assert body["metadata"]["username"] == "@ana"
    assert "wa_id" not in body["metadata"]
    assert_genesys_valid(call)


def test_without_a_contact_there_is_no_name() -> None:
    event = message_event(message("system", {"body": "User identity changed"}), contacts=[])
    (call,) = event_to_genesys(event, genesys_target())
    assert wire(call)["channel"]["from"] == {"id": f"+{CUSTOMER}", "idType": "Phone"}
    assert_genesys_valid(call)


ANSWERS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "reply-button": (
        message(
            "interactive",
            {
                "type": "button_reply",
                "button_reply": {"id": "TRACK_ORDER", "title": "Track my order"},
            },
            context=CTX,
        ),
        {"type": "QuickReply", "text": "Track my order", "payload": "TRACK_ORDER"},
    ),
    "list-row": (
        message(
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "order_status", "title": "Order status"}},
            context=CTX,
        ),
        {"type": "QuickReply", "text": "Order status", "payload": "order_status"},
    ),
    "template-quick-reply": (
        message("button", {"payload": "REOPEN_4711", "text": "Reopen ticket"}, context=CTX),
        {"type": "QuickReply", "text": "Reopen ticket", "payload": "REOPEN_4711"},
    ),
    "template-quick-reply-without-payload": (
        message("button", {"text": "Reopen ticket"}, context=CTX),
        {"type": "QuickReply", "text": "Reopen ticket", "payload": "Reopen ticket"},
    ),
}


@pytest.mark.parametrize("name", ANSWERS)
def test_an_answer_to_a_genesys_structured_message_is_a_structured_response(name: str) -> None:
    raw, expected = ANSWERS[name]
    event = message_event(raw)
    (call,) = event_to_genesys(event, genesys_target({"wamid.OUT1": "2f0b6c1d9e8a"}))
    assert call.endpoint is GenesysEndpoint.STRUCTURED_RESPONSE
    assert call.path.endswith("/inbound/open/structured/response")
    body = wire(call)
    assert body["buttonResponse"] == expected
    assert body["originatingMessageId"] == "2f0b6c1d9e8a"
    assert body["channel"]["messageId"] == event.message_id
    assert_genesys_valid(call)


@pytest.mark.parametrize("name", ANSWERS)
def test_an_answer_nobody_tracked_is_a_plain_message(name: str) -> None:
    raw, expected = ANSWERS[name]
    (call,) = event_to_genesys(message_event(raw), genesys_target({"wamid.OTHER": "g"}))
    assert call.endpoint is GenesysEndpoint.MESSAGE
    assert wire(call)["text"].startswith(expected["text"])


def test_an_answer_without_context_is_a_plain_message() -> None:
    raw = message("button", {"payload": "p", "text": "Go"})
    (call,) = event_to_genesys(message_event(raw), genesys_target({"wamid.OUT1": "g"}))
    assert call.endpoint is GenesysEndpoint.MESSAGE


def test_referenced_wamids_name_every_lookup_a_translation_makes() -> None:
    reply = message_event(message("text", {"body": "x"}, context=CTX))
    reaction = message_event(message("reaction", {"message_id": "wamid.R", "emoji": "👍"}))
    revoke = message_event(message("revoke", {"original_message_id": "wamid.V"}))
    plain = message_event(message("text", {"body": "x"}))
    assert referenced_wamids(reply) == {"wamid.OUT1"}
    assert referenced_wamids(reaction) == {"wamid.R"}
    assert referenced_wamids(revoke) == {"wamid.V"}
    assert referenced_wamids(plain) == frozenset()


def test_a_batch_translates_in_order_and_errors_forward_nothing() -> None:
    value = webhook_value(
        contacts=[customer_contact()],
        messages=[
            message("text", {"body": "one"}),
            message("location", {"latitude": 1, "longitude": 2}),
        ],
        errors=[{"code": 131000, "title": "Something went wrong"}],
    )
    events = events_of(webhook_body(value))
    assert [event.kind for event in events] == ["message", "message", "error"]
    calls = [call for event in events for call in event_to_genesys(event, genesys_target())]
    assert [wire(call)["channel"]["messageId"] for call in calls] == [
        "wamid.TEXT1",
        "wamid.LOCATION1",
    ]
    assert event_to_genesys(events[2], genesys_target()) == []
    assert referenced_wamids(events[2]) == frozenset()


def test_request_welcome_is_ignored_cleanly() -> None:
    """The customer opened the chat and wrote nothing: no event, no Genesys call, a reason."""
    body = webhook_body(
        webhook_value(contacts=[customer_contact()], messages=[message("request_welcome")])
    )
    split = split_body(body, "acme", datetime(2026, 1, 2, tzinfo=UTC))
    assert (split.events, split.rejected) == ([], [])
    [ignored] = split.ignored
    assert ignored.path == "entry[0].changes[0].value.messages[0]"
    assert ignored.reason.startswith("request_welcome")
    # An event of one (an older worker's record, a replay) translates to nothing as well.
    event = MessageReceived.model_validate(
        {
            **message_event(message("text", {"body": "x"})).model_dump(),
            "type": "request_welcome",
            "payload": message("request_welcome"),
        }
    )
    assert event_to_genesys(event, genesys_target()) == []


def test_a_lone_surrogate_reaches_the_agent_as_a_replacement_character() -> None:
    raw = json.dumps(
        webhook_body(
            webhook_value(
                contacts=[customer_contact(name="Ana \udc00")],
                messages=[message("text", {"body": "I love it \ud83d"})],
            )
        )
    )
    split = split_body(raw, "acme", datetime(2026, 1, 2, tzinfo=UTC))
    assert split.repaired == (
        "entry[0].changes[0].value.contacts[0].profile.name",
        "entry[0].changes[0].value.messages[0].text.body",
    )
    [event] = split.events
    (call,) = event_to_genesys(event, genesys_target())
    body = wire(call)
    assert body["text"] == "I love it \ufffd"
    assert body["channel"]["from"]["nickname"] == "Ana \ufffd"
    assert_genesys_valid(call)
