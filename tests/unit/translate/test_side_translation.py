"""What Open Messaging can carry besides the customer's words: the routing context in
``channel.metadata.customAttributes``, the business's own sends from the WhatsApp Business app,
and the customer's call attempts and call-permission answers. Every body passes wagen's
Genesys contract (the strict schema plus the overlay wagen sends), and the strict schema once
that overlay is taken out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from connectors.translate import (
    CallbackNote,
    GenesysTarget,
    call_notice_to_genesys,
    event_to_genesys,
)
from connectors.translate.echoes import ECHO_LINE
from schemas.events import CallReceived, EchoReceived, WhatsAppEvent
from tests.unit.connectors.side_bodies import (
    CALL_ID,
    ECHO_ID,
    call,
    calls_body,
    echo,
    echoes_body,
    preference,
    preferences_body,
)
from tests.unit.schemas.bodies import CUSTOMER, PHONE_NUMBER_ID, WABA_ID, message
from tests.unit.schemas.reference import schema_errors, wagen_schema_errors
from tests.unit.translate.support import (
    INTEGRATION,
    assert_genesys_valid,
    events_of,
    genesys_target,
    message_event,
    wire,
)

REFERRAL = {
    "source_url": "https://fb.me/3cr4Wqqkv",
    "source_id": "120226305854810726",
    "source_type": "ad",
    "headline": "Spring sale",
    "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
}


def opted(choice: bool | None) -> GenesysTarget:
    """A target whose preference lookup answers ``choice`` for every customer."""
    return replace(genesys_target(), marketing_opt_out=lambda _customer: choice)


def attributes(body: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = body["channel"]["metadata"]["customAttributes"]
    return found


def only_event(body: dict[str, Any]) -> WhatsAppEvent:
    [event] = events_of(body)
    return event


# --- the routing context -------------------------------------------------------------


def test_a_customer_message_carries_its_routing_context() -> None:
    event = message_event(message("text", {"body": "I saw your ad"}, referral=REFERRAL))
    [call_] = event_to_genesys(event, opted(True))
    body = wire(call_)
    assert attributes(body) == {
        "wa_message_origin": "customer",
        "wa_waba_id": WABA_ID,
        "wa_phone_number_id": PHONE_NUMBER_ID,
        "wa_display_phone_number": "15550001111",
        "wa_ctwa_clid": REFERRAL["ctwa_clid"],
        "wa_ad_id": "120226305854810726",
        "wa_referral_source_type": "ad",
        # 24 hours after the message's own timestamp (1760000000 = 2025-10-09T08:53:20Z).
        "wa_window_closes_at": "2025-10-10T08:53:20.000Z",
        "wa_marketing_opt_out": "true",
    }
    # The flat metadata keeps what it carried.
    assert body["metadata"]["referral_ctwa_clid"] == REFERRAL["ctwa_clid"]
    assert "wa_ad_id" not in body["metadata"]
    assert_genesys_valid(call_)


@pytest.mark.parametrize(("choice", "expected"), [(False, "false"), (None, None)])
def test_the_opt_out_says_false_when_known_and_nothing_when_unknown(
    choice: bool | None, expected: str | None
) -> None:
    [call_] = event_to_genesys(message_event(message("text", {"body": "hi"})), opted(choice))
    assert attributes(wire(call_)).get("wa_marketing_opt_out") == expected


def test_a_post_referral_names_no_ad() -> None:
    post = {**REFERRAL, "source_type": "post", "source_id": "post-1"}
    [call_] = event_to_genesys(
        message_event(message("text", {"body": "hi"}, referral=post)), opted(None)
    )
    found = attributes(wire(call_))
    assert "wa_ad_id" not in found
    assert found["wa_referral_source_type"] == "post"


def test_a_structured_answer_carries_the_context_too() -> None:
    tapped = message(
        "interactive",
        {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}},
        context={"from": "15550001111", "id": "wamid.OUT1"},
    )
    target = replace(opted(False), genesys_message_id={"wamid.OUT1": "g-1"}.get)
    [call_] = event_to_genesys(message_event(tapped), target)
    body = wire(call_)
    assert body["originatingMessageId"] == "g-1"
    assert attributes(body)["wa_message_origin"] == "customer"
    assert_genesys_valid(call_)


def test_custom_attributes_are_the_one_overlay_and_nothing_else_passes() -> None:
    [call_] = event_to_genesys(message_event(message("text", {"body": "hi"})), opted(True))
    body = wire(call_)
    assert schema_errors("inbound-message", body) != []  # the strict schema refuses it
    assert wagen_schema_errors("inbound-message", body) == []
    # wagen's contract admits exactly that overlay: another one stays refused.
    body["channel"]["metadata"]["subType"] = "None"
    assert wagen_schema_errors("inbound-message", body) == []
    receipt = {
        "id": "g-1",
        "channel": {"to": {"id": "+1555"}, "time": "2025-10-09T08:53:20.000Z"},
        "status": "Delivered",
        "direction": "Outbound",
    }
    assert wagen_schema_errors("inbound-receipt", receipt) != []


# --- business-app echoes -------------------------------------------------------------


def test_an_echo_is_shown_as_the_business_words_in_the_customer_conversation() -> None:
    event = only_event(echoes_body(echo()))
    assert isinstance(event, EchoReceived)
    [call_] = event_to_genesys(event, opted(False))
    body = wire(call_)
    assert body["text"] == f"{ECHO_LINE}\nYour order ships today"
    assert body["channel"]["from"] == {
        "id": f"+{CUSTOMER}",
        "idType": "Phone",
        "nickname": "Ana Souza",
        "firstName": "Ana Souza",
    }
    assert body["channel"]["messageId"] == ECHO_ID
    assert body["metadata"]["message_origin"] == "business_app"
    found = attributes(body)
    assert found["wa_message_origin"] == "business_app"
    assert "wa_window_closes_at" not in found  # an echo opens no window
    assert found["wa_marketing_opt_out"] == "false"
    assert "content" not in body
    assert_genesys_valid(call_)


@pytest.mark.parametrize(
    ("item", "known", "text", "facts"),
    [
        (
            echo("revoke", {"original_message_id": "wamid.OLD"}),
            {},
            "The business deleted message wamid.OLD.",
            {"revoked_message_id": "wamid.OLD"},
        ),
        (
            echo("revoke", {"original_message_id": "wamid.OLD"}),
            {"wamid.OLD": "See you at 5"},
            "The business deleted “See you at 5”.",
            {"revoked_message_id": "wamid.OLD"},
        ),
        (
            echo(
                "edit",
                {
                    "original_message_id": "wamid.OLD",
                    "message": {"type": "text", "text": {"body": "See you at 6"}},
                },
            ),
            {},
            "The business edited message wamid.OLD: See you at 6",
            {"edited_message_id": "wamid.OLD"},
        ),
        (
            echo("image", {"id": "7788", "mime_type": "image/jpeg", "caption": "the invoice"}),
            {},
            "(an image: the invoice; the file stays in the WhatsApp Business app)",
            {"media_id": "7788"},
        ),
        (
            echo("location", {"latitude": 38.7, "longitude": -9.1, "name": "Shop"}),
            {},
            "Location: Shop",
            {"latitude": "38.7"},
        ),
        (
            echo("poll", {"question": "?"}),
            {},
            "A message wagen cannot show yet (type 'poll').",
            {},
        ),
    ],
)
def test_every_kind_of_echo_reads_as_the_business(
    item: dict[str, Any], known: dict[str, str], text: str, facts: dict[str, str]
) -> None:
    event = only_event(echoes_body(item))
    target = replace(opted(None), quoted_text=known.get)
    [call_] = event_to_genesys(event, target)
    body = wire(call_)
    assert body["text"].startswith(f"{ECHO_LINE}\n{text}")
    assert facts.items() <= body["metadata"].items()
    assert "The customer" not in body["text"]  # never the customer's words
    assert_genesys_valid(call_)


# --- calls ---------------------------------------------------------------------------


def call_event(**extra: Any) -> CallReceived:
    event = only_event(calls_body(call(**extra)))
    assert isinstance(event, CallReceived)
    return event


@pytest.mark.parametrize(
    ("note", "line"),
    [
        (None, None),
        (
            CallbackNote("requested", "+5511987654321"),
            "A Genesys callback to +5511987654321 was requested.",
        ),
        (CallbackNote("off"), "Reply here, or call them back."),
        (
            CallbackNote("no_number"),
            "No callback: WhatsApp gave no phone number for this customer.",
        ),
        (
            CallbackNote("refused", reason="HTTP 400 bad.request"),
            "No callback: Genesys refused it (HTTP 400 bad.request).",
        ),
    ],
)
def test_a_customer_call_attempt_becomes_a_notice(
    note: CallbackNote | None, line: str | None
) -> None:
    [call_] = call_notice_to_genesys(call_event(), opted(None), note)
    body = wire(call_)
    lines = body["text"].split("\n")
    assert lines[:2] == [
        "Ana Souza tried to call you on WhatsApp at 2025-10-09 08:53 UTC.",
        "WhatsApp calls cannot reach Genesys through this messaging channel.",
    ]
    assert lines[2:] == ([line] if line else [])
    assert body["channel"]["messageId"] == CALL_ID
    assert body["channel"]["from"]["id"] == f"+{CUSTOMER}"
    assert body["metadata"]["call_id"] == CALL_ID
    assert body["metadata"].get("callback") == (note.state if note else None)
    assert attributes(body)["wa_message_origin"] == "call"
    assert "wa_window_closes_at" not in attributes(body)
    assert_genesys_valid(call_)


@pytest.mark.parametrize(
    "extra",
    [{"event": "terminate", "status": "COMPLETED"}, {"direction": "BUSINESS_INITIATED"}],
)
def test_other_call_events_tell_the_agent_nothing(extra: dict[str, Any]) -> None:
    event = only_event(calls_body(call(**extra)))
    assert event_to_genesys(event, opted(None)) == []


def permission(reply: dict[str, Any]) -> dict[str, Any]:
    return message(
        "interactive",
        {"type": "call_permission_reply", "call_permission_reply": reply},
        context={"from": "15550001111", "id": "wamid.ASKED"},
    )


@pytest.mark.parametrize(
    ("reply", "text", "facts"),
    [
        (
            {
                "response": "accept",
                "expiration_timestamp": 1760604800,
                "response_source": "user_action",
            },
            "The customer allows you to call them on WhatsApp until 2025-10-16 08:53 UTC.",
            {"call_permission_response": "accept", "call_permission_source": "user_action"},
        ),
        (
            {"response": "accept", "is_permanent": True},
            "The customer allows you to call them on WhatsApp.",
            {"call_permission_permanent": "true"},
        ),
        (
            {"response": "reject", "response_source": "automatic"},
            "The customer declined to be called on WhatsApp.",
            {"call_permission_response": "reject"},
        ),
        (
            {"expiration_timestamp": "later"},
            "The customer answered an interactive message wagen cannot show "
            "(type 'call_permission_reply').",
            {"interactive_type": "call_permission_reply"},
        ),
    ],
)
def test_call_permission_answers_read_as_sentences(
    reply: dict[str, Any], text: str, facts: dict[str, str]
) -> None:
    [call_] = event_to_genesys(message_event(permission(reply)), opted(None))
    body = wire(call_)
    assert body["text"] == text
    assert facts.items() <= body["metadata"].items()
    assert_genesys_valid(call_)


def test_preference_changes_are_recorded_not_shown() -> None:
    assert event_to_genesys(only_event(preferences_body(preference())), opted(None)) == []


def test_the_integration_is_the_targets() -> None:
    [call_] = event_to_genesys(only_event(echoes_body(echo())), opted(None))
    assert call_.integration_id == INTEGRATION
