"""The Meta webhook splitter: every recorded body, hand-made edge cases, and fuzzing.

The expected number of events is counted here straight from the raw JSON, independently of
the models: one per ``messages[]``, ``statuses[]`` and ``errors[]`` item of every change whose
``field`` is ``messages``.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.meta.payload import MetaPayloadError, parse_webhook
from connectors.meta.webhook import split_payload, split_webhook
from schemas.events import (
    WAGEN_EVENT,
    MessageReceived,
    StatusReceived,
    WebhookErrorReceived,
    WhatsAppEvent,
)
from schemas.meta.messages import UnknownMessage
from schemas.meta.webhook import Entry
from schemas.parsing import Rejected
from tests.unit.schemas.bodies import (
    CUSTOMER,
    PHONE_NUMBER_ID,
    WABA_ID,
    customer_contact,
    message,
    webhook_body,
    webhook_value,
)
from tests.unit.schemas.reference import META_SAMPLES, load_json, meta_sample_names

TENANT = "acme"
RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SAMPLES = meta_sample_names()


def expected_counts(body: dict[str, Any]) -> dict[str, int]:
    """Messages, statuses and errors in a raw body, counted without our models."""
    counts = {"message": 0, "status": 0, "error": 0}
    for entry in body["entry"]:
        for change in entry["changes"]:
            if change["field"] != "messages":
                continue
            value = change["value"]
            counts["message"] += len(value.get("messages", []))
            counts["status"] += len(value.get("statuses", []))
            counts["error"] += len(value.get("errors", []))
    return counts


def test_the_manifest_lists_every_sample() -> None:
    on_disk = {path.name for path in META_SAMPLES.glob("*.json")}
    assert on_disk == set(SAMPLES)
    assert len(SAMPLES) == 67


@pytest.mark.parametrize("name", SAMPLES)
def test_every_recorded_body_yields_one_event_per_item(name: str) -> None:
    raw = (META_SAMPLES / name).read_bytes()
    events = split_webhook(raw, TENANT, RECEIVED)
    body = json.loads(raw)
    kinds = [event.kind for event in events]
    assert {kind: kinds.count(kind) for kind in ("message", "status", "error")} == expected_counts(
        body
    )
    ids = [
        (m["id"], "message")
        for e in body["entry"]
        for c in e["changes"]
        if c["field"] == "messages"
        for m in c["value"].get("messages", [])
    ]
    assert [(e.message_id, e.kind) for e in events if e.kind == "message"] == ids
    for event in events:
        assert event.tenant_id == TENANT
        assert event.received_at == RECEIVED
        assert event.timestamp.tzinfo is not None
        # What the worker produces is what it reads back.
        assert WAGEN_EVENT.validate_json(event.model_dump_json()) == event
    # A replay of the same bytes yields the same events, ids included.
    assert split_webhook(raw, TENANT, RECEIVED) == events


def test_the_samples_cover_every_kind_of_event() -> None:
    kinds = set()
    types = set()
    for name in SAMPLES:
        for event in split_webhook((META_SAMPLES / name).read_bytes(), TENANT, RECEIVED):
            kinds.add(event.kind)
            types.add(event.type)
    # The shared samples hold one user_preferences body, and no call or echo (see
    # tests/unit/connectors/test_side_events.py for those, from pywa's recordings).
    assert kinds == {"message", "status", "error", "preference"}
    assert {"text", "image", "interactive", "reaction", "order", "system", "unsupported"} <= types
    assert {"sent", "delivered", "read", "failed", "played"} <= types


def test_other_fields_yield_nothing() -> None:
    for name in (
        "pywa__account_update__account_violation.json",
        "pywa__template_status_update__rejected.json",
        "metaspec__group_create_message.json",
    ):
        raw = (META_SAMPLES / name).read_bytes()
        assert split_webhook(raw, TENANT, RECEIVED) == []
        entry = parse_webhook(raw).entry[0]
        assert isinstance(entry, Entry)
        change = entry.changes[0]
        assert not isinstance(change, Rejected)
        assert change.field != "messages"


def test_the_malformed_interactive_sample_is_tolerated_with_its_error() -> None:
    raw = (META_SAMPLES / "pywa__message__interactive_message_with_err.json").read_bytes()
    message_event, error_event = split_webhook(raw, TENANT, RECEIVED)
    assert isinstance(message_event, MessageReceived)
    assert isinstance(message_event.payload, UnknownMessage)
    assert message_event.problem == "interactive: Field required"
    assert isinstance(error_event, WebhookErrorReceived)
    assert error_event.type == "131000"
    assert error_event.timestamp == RECEIVED


def test_a_message_event_carries_what_every_consumer_needs() -> None:
    body = webhook_body(
        webhook_value(contacts=[customer_contact()], messages=[message("text", {"body": "Hi"})])
    )
    (event,) = split_webhook(json.dumps(body), TENANT, RECEIVED)
    assert isinstance(event, MessageReceived)
    assert event.kind == "message"
    assert event.message_id == "wamid.TEXT1"
    assert event.customer == CUSTOMER
    assert event.type == "text"
    assert event.phone_number_id == PHONE_NUMBER_ID
    assert event.waba_id == WABA_ID
    assert event.timestamp == datetime(2025, 10, 9, 8, 53, 20, tzinfo=UTC)
    assert event.contact_name == "Ana Souza"
    assert event.key == f"{TENANT}:{CUSTOMER}"


def test_a_batch_of_entries_and_changes_is_split_in_order() -> None:
    first = webhook_value(messages=[message("text", {"body": "a"}), message("image", {"id": "1"})])
    second = webhook_value(
        statuses=[{"id": "wamid.OUT1", "status": "read", "timestamp": "2", "recipient_id": "9"}],
        errors=[{"code": 131000}],
    )
    body = webhook_body(first, second)
    body["entry"].append(copy.deepcopy(body["entry"][0]))
    body["entry"][1]["id"] = "other-waba"
    body["entry"][1]["changes"].insert(0, {"field": "account_update", "value": {"event": "X"}})
    events = split_webhook(body, TENANT, RECEIVED)
    assert [(e.waba_id, e.kind, e.type) for e in events] == [
        (WABA_ID, "message", "text"),
        (WABA_ID, "message", "image"),
        (WABA_ID, "status", "read"),
        (WABA_ID, "error", "131000"),
        ("other-waba", "message", "text"),
        ("other-waba", "message", "image"),
        ("other-waba", "status", "read"),
        ("other-waba", "error", "131000"),
    ]


def test_event_ids_identify_the_vendor_item() -> None:
    status = {"id": "wamid.OUT1", "status": "delivered", "timestamp": "2", "recipient_id": "9"}
    body = webhook_body(webhook_value(messages=[message("text", {"body": "a"})], statuses=[status]))
    again = webhook_body(
        webhook_value(
            messages=[message("text", {"body": "a"}, timestamp="3")],
            statuses=[status | {"timestamp": "5"}],
        )
    )
    first = split_webhook(body, TENANT, RECEIVED)
    later = split_webhook(again, TENANT, datetime(2026, 2, 1, tzinfo=UTC))
    # Same wamid (and same status) -> same id, whatever else Meta repeats differently.
    assert [e.event_id for e in first] == [e.event_id for e in later]
    other_tenant = split_webhook(body, "globex", RECEIVED)
    assert not {e.event_id for e in first} & {e.event_id for e in other_tenant}
    read = webhook_body(webhook_value(statuses=[status | {"status": "read"}]))
    assert split_webhook(read, TENANT, RECEIVED)[0].event_id != first[1].event_id


def test_group_statuses_differ_per_participant() -> None:
    def group_status(participant: str) -> dict[str, Any]:
        return {
            "id": "wamid.G",
            "status": "read",
            "timestamp": "2",
            "recipient_id": "group-1",
            "recipient_type": "group",
            "recipient_participant_id": participant,
        }

    body = webhook_body(webhook_value(statuses=[group_status("1"), group_status("2")]))
    first, second = split_webhook(body, TENANT, RECEIVED)
    assert first.customer == second.customer == "group-1"
    assert first.event_id != second.event_id


@pytest.mark.parametrize(
    ("msg", "contacts", "customer", "name"),
    [
        (message("text", {"body": "a"}), [customer_contact()], CUSTOMER, "Ana Souza"),
        (message("text", {"body": "a"}), None, CUSTOMER, None),
        (
            {
                k: v
                for k, v in message("text", {"body": "a"}, from_user_id="BR.15").items()
                if k != "from"
            },
            [{"profile": {"name": "Bia"}, "user_id": "BR.15"}],
            "BR.15",
            "Bia",
        ),
        (
            {k: v for k, v in message("text", {"body": "a"}).items() if k != "from"},
            [customer_contact(name="Caio", wa_id="5511900000000")],
            "5511900000000",
            "Caio",
        ),
        (
            message("text", {"body": "a"}),
            [customer_contact(name="Someone else", wa_id="4400")],
            CUSTOMER,
            None,
        ),
    ],
    ids=[
        "wa-id",
        "no-contacts",
        "business-scoped-only",
        "id-from-the-only-contact",
        "other-contact",
    ],
)
def test_the_customer_is_the_wa_id_or_else_the_user_id(
    msg: dict[str, Any], contacts: list[dict[str, Any]] | None, customer: str, name: str | None
) -> None:
    body = webhook_body(webhook_value(messages=[msg], contacts=contacts))
    (event,) = split_webhook(body, TENANT, RECEIVED)
    assert isinstance(event, MessageReceived)
    assert (event.customer, event.contact_name) == (customer, name)


def test_a_status_customer_falls_back_to_the_user_id() -> None:
    status = {"id": "wamid.O", "status": "sent", "timestamp": "2", "recipient_user_id": "BR.15"}
    (event,) = split_webhook(webhook_body(webhook_value(statuses=[status])), TENANT, RECEIVED)
    assert isinstance(event, StatusReceived)
    assert event.customer == "BR.15"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "body"),
        (b"{not json", "body"),
        (b"\xff\xfe\x00garbage", "body"),
        (b"[" * 100_000 + b"]" * 100_000, "body"),
        (b"[]", "body"),
        (b'"a string"', "body"),
        ({"entry": []}, "object"),
        ({"object": "page", "entry": []}, "object"),
        ({"object": "whatsapp_business_account"}, "entry"),
        ({"object": "whatsapp_business_account", "entry": [{"changes": []}]}, "entry[0].id"),
        (
            webhook_body(
                {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1"}}
            ),
            "entry[0].changes[0].value.metadata.phone_number_id",
        ),
        (
            webhook_body(webhook_value(messages=[message("text", {"body": "a"}, id="")])),
            "entry[0].changes[0].value.messages[0].id",
        ),
        (
            webhook_body(
                webhook_value(
                    messages=[
                        {k: v for k, v in message("text", {"body": "a"}).items() if k != "from"}
                    ]
                )
            ),
            "entry[0].changes[0].value.messages[0].from",
        ),
        (
            webhook_body(webhook_value(statuses=[{"id": "w", "status": "sent", "timestamp": "1"}])),
            "entry[0].changes[0].value.statuses[0].recipient_id",
        ),
        (
            webhook_body(webhook_value(), webhook_value(errors=[{"title": "no code"}])),
            "entry[0].changes[1].value.errors[0].code",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"value": {}}]}],
            },
            "entry[0].changes[0].field",
        ),
    ],
    ids=[
        "empty",
        "not-json",
        "not-utf8",
        "nested-too-deep",
        "array",
        "string",
        "no-object",
        "other-object",
        "no-entry",
        "entry-without-id",
        "no-phone-number-id",
        "empty-wamid",
        "no-sender",
        "no-recipient",
        "error-without-code",
        "change-without-field",
    ],
)
def test_malformed_bodies_raise_one_error_naming_the_field(raw: Any, field: str) -> None:
    with pytest.raises(MetaPayloadError) as caught:
        split_webhook(raw, TENANT, RECEIVED)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert caught.value.tenant_id == TENANT
    assert not caught.value.retriable


def test_received_at_must_be_aware() -> None:
    body = load_json(META_SAMPLES / "metaspec__text_message.json")
    with pytest.raises(ValueError, match="timezone-aware"):
        split_payload(parse_webhook(body), TENANT, datetime(2026, 1, 2))


def test_str_bytes_and_dict_give_the_same_events() -> None:
    raw = (META_SAMPLES / "pywa__message__contacts.json").read_bytes()
    from_bytes = split_webhook(raw, TENANT, RECEIVED)
    assert split_webhook(raw.decode(), TENANT, RECEIVED) == from_bytes
    assert split_webhook(json.loads(raw), TENANT, RECEIVED) == from_bytes


# --- property tests --------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
SAMPLE_BODIES = [load_json(META_SAMPLES / name) for name in SAMPLES]
KEYS = sorted(
    {"object", "entry", "id", "changes", "field", "value", "messages", "statuses", "errors"}
    | {"metadata", "phone_number_id", "from", "type", "timestamp", "text", "interactive"}
)


def split_or_reject(raw: Any) -> list[WhatsAppEvent] | MetaPayloadError:
    """What the agent does: events, or the one clear error (anything else fails the test)."""
    try:
        return split_webhook(raw, TENANT, RECEIVED)
    except MetaPayloadError as exc:
        return exc


def assert_handled(outcome: list[WhatsAppEvent] | MetaPayloadError) -> None:
    """Events that survive Kafka, or an error that names a field."""
    if isinstance(outcome, MetaPayloadError):
        assert outcome.field
        assert outcome.field in str(outcome)
        return
    for event in outcome:
        assert WAGEN_EVENT.validate_json(event.model_dump_json()) == event


@st.composite
def mutated_samples(draw: st.DrawFn) -> Any:
    """A recorded body with one node deleted or replaced somewhere along a random path."""
    body = copy.deepcopy(draw(st.sampled_from(SAMPLE_BODIES)))
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
            node[key] = draw(st.sampled_from([None, 0, -1, "", "x", [], {}, True, 1e308, "1" * 40]))
        else:
            node[key] = draw(json_values)
        return body


@settings(
    database=None, deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated_samples())
def test_mutated_samples_never_crash_the_splitter(body: Any) -> None:
    assert_handled(split_or_reject(body))


@settings(database=None, deadline=None, max_examples=200)
@given(json_values)
def test_arbitrary_json_never_crashes_the_splitter(body: Any) -> None:
    outcome = split_or_reject(body)
    assert_handled(outcome)
    if not isinstance(body, dict):
        assert isinstance(outcome, MetaPayloadError)
        assert outcome.field == "body"
    # The decoded value and its JSON text are split alike.
    from_text = split_or_reject(json.dumps(body))
    if isinstance(outcome, MetaPayloadError):
        assert isinstance(from_text, MetaPayloadError)
        assert from_text.field == outcome.field
    else:
        assert from_text == outcome


@settings(database=None, deadline=None, max_examples=200)
@given(
    st.recursive(
        json_scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
        ),
        max_leaves=40,
    )
)
def test_envelope_shaped_json_never_crashes_the_splitter(body: Any) -> None:
    assert_handled(split_or_reject(body))


@settings(database=None, deadline=None, max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_splitter(raw: bytes) -> None:
    assert_handled(split_or_reject(raw))
