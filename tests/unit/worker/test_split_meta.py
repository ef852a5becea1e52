"""The split agent: events per message/status/error, a bad item dead-lettered alone, and no
record, however poisoned, that stops the agent (routing fuzzed, and the agent itself run in
Faust's test context)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import faust
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.worker.split_meta import (
    ITEM_PATH,
    Outgoing,
    Routed,
    register_split_agent,
    route_webhook,
)
from schemas.events import WAGEN_EVENT, MessageReceived
from tests.unit import poison
from tests.unit.poison import poison_bodies
from tests.unit.schemas.bodies import customer_contact, message, webhook_body, webhook_value
from tests.unit.schemas.reference import META_SAMPLES, load_json, meta_sample_names

HEADERS = {
    "tenant_id": b"acme",
    "received_at_ms": b"1700000000000",
    "request_id": b"req-1",
    "source": b"meta",
}
SAMPLE_BODIES = [load_json(META_SAMPLES / name) for name in meta_sample_names()]


# The items each modelled change kind turns into events (a call status yields none).
_ITEMS = {
    "messages": ("messages", "statuses", "errors"),
    "calls": ("calls", "errors"),
    "smb_message_echoes": ("message_echoes",),
    "user_preferences": ("user_preferences",),
}


def route(body: Any, headers: dict[str, bytes] = HEADERS) -> Routed:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return route_webhook(raw, headers, "wa.webhooks")


def count_items(body: Any) -> int:
    """The items of modelled changes that become events, counted from raw JSON alone."""
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        return 0
    count = 0
    for entry in body["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else ():
            if not isinstance(change, dict):
                continue
            value = change.get("value")
            if isinstance(value, dict):
                for name in _ITEMS.get(str(change.get("field")), ()):
                    items = value.get(name)
                    count += len(items) if isinstance(items, list) else 0
    return count


def dead(routed: Routed) -> list[Outgoing]:
    return [out for out in routed.records if out.destination == "dlq"]


@pytest.mark.parametrize("name", meta_sample_names())
def test_every_reference_sample_becomes_one_event_per_item(name: str) -> None:
    raw = (META_SAMPLES / name).read_bytes()
    out = route_webhook(raw, HEADERS, "wa.webhooks").records
    assert all(o.destination == "events" for o in out)
    assert len(out) == count_items(json.loads(raw))
    for record in out:
        event = WAGEN_EVENT.validate_json(record.value)
        assert event.tenant_id == "acme"
        assert record.key == event.key.encode()
        headers = dict(record.headers)
        assert headers["tenant_id"] == b"acme"
        assert headers["request_id"] == b"req-1"
        assert headers["received_at_ms"] == b"1700000000000"
        assert headers["event_id"] == str(event.event_id).encode()


def test_the_same_webhook_twice_gives_the_same_event_ids() -> None:
    raw = (META_SAMPLES / meta_sample_names()[0]).read_bytes()
    first = route_webhook(raw, HEADERS, "wa.webhooks").records
    again = route_webhook(raw, {**HEADERS, "received_at_ms": b"1700000099000"}, "wa.webhooks")
    assert [dict(r.headers)["event_id"] for r in first] == [
        dict(r.headers)["event_id"] for r in again.records
    ]


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"not json", HEADERS, "meta_payload_invalid"),
        (b'{"object": "whatsapp_business_account", "entry": "x"}', HEADERS, "meta_payload_invalid"),
        (b"{}", {k: v for k, v in HEADERS.items() if k != "tenant_id"}, "bad_record"),
        (b"[" * 100_000, HEADERS, "meta_payload_invalid"),
    ],
    ids=["not-json", "entry-not-a-list", "no-tenant", "nested-too-deep"],
)
def test_unusable_records_go_to_the_dlq_with_the_reason(
    body: bytes, headers: dict[str, bytes], code: str
) -> None:
    [out] = route_webhook(body, headers, "wa.webhooks").records
    assert out.destination == "dlq"
    assert out.value == body  # kept byte for byte, for a later replay
    reasons = dict(out.headers)
    assert reasons["dlq_source_topic"] == b"wa.webhooks"
    assert reasons["dlq_error_code"] == code.encode()
    assert reasons["dlq_error"]


def test_one_bad_message_is_dead_lettered_alone_and_its_siblings_go_on() -> None:
    bad = message("text", {"body": "lost?"}, id="wamid.BAD", timestamp="yesterday")
    good = message("text", {"body": "hello"}, id="wamid.GOOD")
    status = {"id": "wamid.OUT", "status": "read", "timestamp": "2", "recipient_id": "9"}
    body = webhook_body(
        webhook_value(contacts=[customer_contact()], messages=[good, bad], statuses=[status])
    )
    routed = route(body)
    events = [
        WAGEN_EVENT.validate_json(o.value) for o in routed.records if o.destination == "events"
    ]
    assert [(e.kind, e.message_id) for e in events] == [
        ("message", "wamid.GOOD"),
        ("status", "wamid.OUT"),
    ]
    [out] = dead(routed)
    headers = dict(out.headers)
    assert out.key == b"acme"
    assert headers[ITEM_PATH] == b"entry[0].changes[0].value.messages[1]"
    assert headers["dlq_error_code"] == b"meta_payload_invalid"
    error = headers["dlq_error"].decode()
    assert "entry[0].changes[0].value.messages[1].timestamp" in error
    assert "digits only" in error
    # The DLQ keeps the raw item in its envelope, and nothing else of the body.
    alone = json.loads(out.value)
    value = alone["entry"][0]["changes"][0]["value"]
    assert value["messages"] == [bad]
    assert "statuses" not in value
    assert value["metadata"] == body["entry"][0]["changes"][0]["value"]["metadata"]
    assert value["contacts"] == [customer_contact()]
    # Replaying that entry fails the same way (until wagen learns to read it), alone.
    replayed = route(out.value)
    [again] = dead(replayed)
    assert b"messages[0].timestamp: Value error, expected Unix" in dict(again.headers)["dlq_error"]
    assert len(replayed.records) == 1


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            webhook_body(
                webhook_value(messages=[{"type": "text"}, message("text", {"body": "a"})])
            ),
            "entry[0].changes[0].value.messages[0]",
        ),
        (
            webhook_body(
                webhook_value(statuses=[{"id": "w", "status": "sent", "timestamp": "1"}]),
                webhook_value(messages=[message("text", {"body": "a"})]),
            ),
            "entry[0].changes[0].value.statuses[0]",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"changes": []},
                    webhook_body(webhook_value(messages=[message("text", {"body": "a"})]))["entry"][
                        0
                    ],
                ],
            },
            "entry[0]",
        ),
        (
            webhook_body(
                {"messaging_product": "whatsapp", "metadata": {}},
                webhook_value(messages=[message("text", {"body": "a"})]),
            ),
            "entry[0].changes[0]",
        ),
        (
            webhook_body(
                webhook_value(
                    contacts=[{"profile": "Ana"}], messages=[message("text", {"body": "a"})]
                )
            ),
            "entry[0].changes[0].value.contacts[0]",
        ),
    ],
    ids=[
        "message-without-id",
        "status-without-recipient",
        "entry-without-id",
        "change-no-phone-id",
        "bad-contact",
    ],
)
def test_each_level_of_a_batch_is_rejected_alone(body: dict[str, Any], path: str) -> None:
    routed = route(body)
    [out] = dead(routed)
    assert dict(out.headers)[ITEM_PATH] == path.encode()
    [event] = [o for o in routed.records if o.destination == "events"]
    assert WAGEN_EVENT.validate_json(event.value).kind == "message"


def test_a_lone_surrogate_is_replaced_and_the_message_delivered() -> None:
    raw = json.dumps(
        webhook_body(webhook_value(messages=[message("text", {"body": "hi \ud800!"})]))
    )
    routed = route_webhook(raw.encode(), HEADERS, "wa.webhooks")
    [out] = routed.records
    event = WAGEN_EVENT.validate_json(out.value)
    assert isinstance(event, MessageReceived)
    assert event.payload.model_dump()["text"]["body"] == "hi \ufffd!"
    assert routed.notes == [
        "entry[0].changes[0].value.messages[0].text.body: "
        "a lone UTF-16 surrogate or NUL replaced by U+FFFD"
    ]


def test_request_welcome_is_ignored_with_a_note() -> None:
    routed = route(webhook_body(webhook_value(messages=[message("request_welcome")])))
    assert routed.records == []
    assert routed.notes == [
        "entry[0].changes[0].value.messages[0]: ignored: request_welcome: "
        "the customer opened the chat, no content"
    ]


def test_a_failure_nobody_foresaw_dead_letters_the_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("a bug in the splitter")

    monkeypatch.setattr("pipeline.worker.split_meta.split_body", broken)
    raw = (META_SAMPLES / meta_sample_names()[0]).read_bytes()
    [out] = route_webhook(raw, HEADERS, "wa.webhooks").records
    assert (out.destination, out.value) == ("dlq", raw)
    headers = dict(out.headers)
    assert headers["dlq_error_code"] == b"split_failed"
    assert headers["dlq_error"] == b"RuntimeError: a bug in the splitter"


def assert_routed_safely(raw: bytes, routed: Routed) -> None:
    """Every record publishable, and every item of the body accounted for."""
    for out in routed.records:
        assert all(isinstance(v, bytes) for _, v in out.headers)
        if out.destination == "events":
            event = WAGEN_EVENT.validate_json(out.value)
            assert out.key == event.key.encode()
            continue
        headers = dict(out.headers)
        assert headers["dlq_error_code"]
        assert headers["dlq_error"]
    whole = [o for o in dead(routed) if ITEM_PATH not in dict(o.headers)]
    # A failure nobody foresaw would be "split_failed": the fuzz must find none.
    assert all(dict(o.headers)["dlq_error_code"] == b"meta_payload_invalid" for o in whole)
    if whole:
        assert [o.value for o in whole] == [raw]
        assert len(routed.records) == 1
        return
    decoded = json.loads(raw)
    events = sum(o.destination == "events" for o in routed.records)
    dead_items = sum(count_items(json.loads(o.value)) for o in dead(routed))
    ignored = sum(": ignored: " in note for note in routed.notes)
    assert events + dead_items + ignored == count_items(decoded)


@settings(
    database=None,
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(poison_bodies(SAMPLE_BODIES))
def test_no_poison_body_escapes_the_routing(raw: bytes) -> None:
    assert_routed_safely(raw, route_webhook(raw, HEADERS, "wa.webhooks"))


@settings(database=None, deadline=None, max_examples=100)
@given(poison.headers)
def test_no_header_garbage_escapes_the_routing(headers: dict[str, bytes]) -> None:
    raw = (META_SAMPLES / meta_sample_names()[0]).read_bytes()
    routed = route_webhook(raw, headers, "wa.webhooks")
    assert routed.records
    for out in routed.records:
        assert all(isinstance(v, bytes) for _, v in out.headers)


class Sink:
    """Stands for a destination topic: records what the agent sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = []

    async def send(self, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.sent.append((key, value, headers))


def split_app(loop: asyncio.AbstractEventLoop) -> tuple[faust.App, Sink, Sink]:
    """A Faust app holding the split agent, its destinations recorded."""
    app = faust.App(
        "test-split",
        broker="kafka://127.0.0.1:1",  # never reached: the test context feeds the agent
        autodiscover=False,
        web_enabled=False,
        loop=loop,  # else Faust makes a loop of its own, and never closes it
    )
    source = app.topic(
        "wa.webhooks",
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    events, dlq = Sink(), Sink()
    register_split_agent(app, source, events, dlq)  # type: ignore[arg-type]  # sinks as topics
    return app, events, dlq


GOOD = (META_SAMPLES / "metaspec__text_message.json").read_bytes()


@settings(
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(poison_bodies(SAMPLE_BODIES), st.one_of(st.just(HEADERS), poison.headers))
async def test_the_agent_survives_every_poison_record(
    raw: bytes, headers: dict[str, bytes]
) -> None:
    app, events, dlq = split_app(asyncio.get_running_loop())
    try:
        async with app.agents["split_meta_webhooks"].test_context() as agent:
            # An agent that raises makes put() raise: the record would have crashed the worker.
            await agent.put(raw, key=b"acme", headers=headers)
            expected = route_webhook(raw, headers, "wa.webhooks").records
            assert len(events.sent) + len(dlq.sent) == len(expected)
            # The next, good record still goes through.
            await agent.put(GOOD, key=b"acme", headers=HEADERS)
            assert WAGEN_EVENT.validate_json(events.sent[-1][1]).kind == "message"
    finally:
        # The Kafka driver's consumer thread made a loop of its own, never started: close it.
        getattr(app.consumer, "_thread").thread_loop.close()  # noqa: B009  (private to Faust)
