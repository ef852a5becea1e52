"""Calls, business-app echoes and marketing preferences: parsed, split into their own events,
never fatal when malformed."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.meta.payload import MetaPayloadError, parse_webhook
from connectors.meta.webhook import split_webhook
from schemas.events import (
    WAGEN_EVENT,
    CallReceived,
    EchoReceived,
    MessageReceived,
    PreferenceChanged,
    WebhookErrorReceived,
)
from schemas.meta.calls import CallsChange
from schemas.meta.echoes import EchoesChange
from schemas.meta.envelope import OtherChange
from schemas.meta.preferences import UserPreferencesChange
from schemas.meta.webhook import Entry
from tests.unit.connectors.side_bodies import (
    CALL_ID,
    ECHO_ID,
    call,
    call_status,
    calls_body,
    echo,
    echoes_body,
    preference,
    preferences_body,
)
from tests.unit.connectors.test_meta_webhook import (
    RECEIVED,
    TENANT,
    assert_handled,
    json_values,
    split_or_reject,
)
from tests.unit.schemas.bodies import (
    CUSTOMER,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    customer_contact,
    message,
    webhook_body,
    webhook_value,
)


def test_the_three_kinds_parse_as_their_own_changes_and_still_as_other_changes() -> None:
    for body, model in (
        (calls_body(call()), CallsChange),
        (echoes_body(echo()), EchoesChange),
        (preferences_body(preference()), UserPreferencesChange),
    ):
        [entry] = parse_webhook(body).entry
        assert isinstance(entry, Entry)
        [change] = entry.changes
        assert type(change) is model
        assert isinstance(change, OtherChange)  # code that ignores other changes still does


def test_a_customer_call_becomes_one_call_event() -> None:
    [event] = split_webhook(calls_body(call()), TENANT, RECEIVED)
    assert isinstance(event, CallReceived)
    assert (event.message_id, event.customer, event.type) == (CALL_ID, CUSTOMER, "connect")
    assert (event.contact_name, event.waba_id, event.phone_number_id) == (
        "Ana Souza",
        WABA_ID,
        PHONE_NUMBER_ID,
    )
    assert event.payload.user_initiated
    assert event.timestamp.timestamp() == 1760000000
    assert event.key == f"{TENANT}:{CUSTOMER}"  # the customer's conversation, in order
    assert WAGEN_EVENT.validate_json(event.model_dump_json()) == event


def test_connect_and_terminate_of_one_call_are_two_events_replays_keep_their_ids() -> None:
    body = calls_body(call("connect"), call("terminate"))
    first = split_webhook(body, TENANT, RECEIVED)
    assert [e.type for e in first] == ["connect", "terminate"]
    assert len({e.event_id for e in first}) == 2
    assert split_webhook(body, TENANT, RECEIVED) == first
    ended = first[1]
    assert isinstance(ended, CallReceived)
    assert (ended.payload.status, ended.payload.duration) == ("COMPLETED", 42)


def test_the_customer_of_a_business_initiated_call_is_the_callee() -> None:
    [event] = split_webhook(calls_body(call(direction="BUSINESS_INITIATED")), TENANT, RECEIVED)
    assert isinstance(event, CallReceived)
    assert event.customer == CUSTOMER
    assert not event.payload.user_initiated


def test_call_statuses_yield_nothing_and_call_errors_are_error_events() -> None:
    error = {"code": 138006, "title": "No call permission", "message": "No call permission"}
    body = calls_body(statuses=[call_status("RINGING")], errors=[error])
    [event] = split_webhook(body, TENANT, RECEIVED)
    assert isinstance(event, WebhookErrorReceived)
    assert event.type == "138006"


def test_a_caller_known_only_by_a_business_scoped_id_is_that_id() -> None:
    bsuid = "US.13491208655302741918"
    item = call(from_user_id=bsuid)
    item["from"] = None
    body = calls_body(item)
    body["entry"][0]["changes"][0]["value"]["contacts"] = [{"user_id": bsuid}]
    [event] = split_webhook(body, TENANT, RECEIVED)
    assert event.customer == bsuid


def test_an_echo_is_the_business_writing_to_the_customer() -> None:
    [event] = split_webhook(echoes_body(echo()), TENANT, RECEIVED)
    assert isinstance(event, EchoReceived)
    assert (event.message_id, event.customer, event.type) == (ECHO_ID, CUSTOMER, "text")
    assert event.key == f"{TENANT}:{CUSTOMER}"
    assert WAGEN_EVENT.validate_json(event.model_dump_json()) == event


def test_an_echo_with_from_and_to_swapped_still_names_the_customer() -> None:
    # pywa's recorded edit and revoke echoes put the customer in `from`.
    swapped = echo("revoke", {"original_message_id": "wamid.OLD"})
    swapped.update({"from": CUSTOMER, "to": DISPLAY_NUMBER})
    [event] = split_webhook(echoes_body(swapped), TENANT, RECEIVED)
    assert (event.customer, event.type) == (CUSTOMER, "revoke")


def test_an_echo_to_a_customer_without_number_is_their_business_scoped_id() -> None:
    bsuid = "US.99"
    item = echo(to_user_id=bsuid)
    del item["to"]
    body = echoes_body(item)
    body["entry"][0]["changes"][0]["value"]["contacts"] = [{"user_id": bsuid}]
    [event] = split_webhook(body, TENANT, RECEIVED)
    assert event.customer == bsuid


def test_a_preference_change_is_recorded_as_one_event() -> None:
    [event] = split_webhook(preferences_body(preference("stop")), TENANT, RECEIVED)
    assert isinstance(event, PreferenceChanged)
    assert (event.customer, event.type, event.message_id) == (CUSTOMER, "stop", None)
    assert event.payload.marketing_opt_out is True
    assert event.timestamp.timestamp() == 1760000200  # Meta's number, read as Unix seconds
    assert WAGEN_EVENT.validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    ("value", "category", "opted_out"),
    [
        ("stop", "marketing_messages", True),
        ("STOP", "marketing_messages", True),
        ("resume", "marketing_messages", False),
        ("signup", "marketing_messages", False),
        ("snooze", "marketing_messages", None),
        ("stop", "something_else", None),
    ],
)
def test_what_a_preference_means(value: str, category: str, opted_out: bool | None) -> None:
    body = preferences_body(preference(value, category=category))
    [event] = split_webhook(body, TENANT, RECEIVED)
    assert isinstance(event, PreferenceChanged)
    assert event.payload.marketing_opt_out is opted_out


def test_one_body_mixing_every_kind_yields_each_event_in_order() -> None:
    body = webhook_body(webhook_value(messages=[message("text", {"body": "hi"})]))
    for extra in (calls_body(call()), echoes_body(echo()), preferences_body(preference())):
        body["entry"][0]["changes"] += extra["entry"][0]["changes"]
    body["entry"][0]["changes"][0]["value"]["contacts"] = [customer_contact()]
    kinds = [type(e) for e in split_webhook(body, TENANT, RECEIVED)]
    assert kinds == [MessageReceived, CallReceived, EchoReceived, PreferenceChanged]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (calls_body(call(id="")), "entry[0].changes[0].value.calls[0].id"),
        (calls_body(call(timestamp="soon")), "entry[0].changes[0].value.calls[0].timestamp"),
        (echoes_body(echo(id=None)), "entry[0].changes[0].value.message_echoes[0].id"),
        (
            preferences_body(preference(value="")),
            "entry[0].changes[0].value.user_preferences[0].value",
        ),
    ],
)
def test_malformed_items_raise_one_error_naming_the_field(body: Any, field: str) -> None:
    with pytest.raises(MetaPayloadError) as caught:
        split_webhook(body, TENANT, RECEIVED)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (calls_body({**call(), "from": None}), "entry[0].changes[0].value.calls[0].from"),
        (echoes_body(echo(to=None)), "entry[0].changes[0].value.message_echoes[0].to"),
        (
            preferences_body(preference(wa_id=None)),
            "entry[0].changes[0].value.user_preferences[0].wa_id",
        ),
    ],
)
def test_an_item_naming_no_customer_is_an_error_naming_the_field(body: Any, field: str) -> None:
    # Two contacts: the value's contacts cannot say whom the item concerns either.
    body["entry"][0]["changes"][0]["value"]["contacts"] = [
        customer_contact(),
        customer_contact("Bo", "15550002222"),
    ]
    with pytest.raises(MetaPayloadError) as caught:
        split_webhook(body, TENANT, RECEIVED)
    assert caught.value.field == field
    assert "names no customer" in str(caught.value)


SIDE_BODIES = [
    calls_body(call(), call("terminate"), statuses=[call_status()]),
    echoes_body(echo(), echo("revoke", {"original_message_id": "wamid.X"})),
    preferences_body(preference(), preference("resume")),
]


@st.composite
def mutated_side_bodies(draw: st.DrawFn) -> Any:
    """A side body with one node deleted, retyped or replaced somewhere along a random path."""
    body = copy.deepcopy(draw(st.sampled_from(SIDE_BODIES)))
    node: Any = body
    while True:
        keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return body
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["delete", "replace", "retype"]))
        if action == "delete" and isinstance(node, dict):
            del node[key]
        elif action == "retype":
            node[key] = draw(st.sampled_from([None, 0, -1, "", "x", [], {}, True, "1" * 40]))
        else:
            node[key] = draw(json_values)
        return body


@settings(
    database=None, deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated_side_bodies())
def test_mutated_side_bodies_never_crash_the_splitter(body: Any) -> None:
    assert_handled(split_or_reject(body))
