"""The split agent's routing: events per message/status/error, DLQ for what cannot parse."""

from __future__ import annotations

import json

import pytest

from pipeline.worker.split_meta import route_webhook
from schemas.events import WAGEN_EVENT
from tests.unit.schemas.reference import META_SAMPLES, meta_sample_names

HEADERS = {
    "tenant_id": b"acme",
    "received_at_ms": b"1700000000000",
    "request_id": b"req-1",
    "source": b"meta",
}


# The items each modelled change kind turns into events (a call status yields none).
_ITEMS = {
    "messages": ("messages", "statuses", "errors"),
    "calls": ("calls", "errors"),
    "smb_message_echoes": ("message_echoes",),
    "user_preferences": ("user_preferences",),
}


def _expected_count(body: dict[str, object]) -> int:
    count = 0
    for entry in body.get("entry", []):  # type: ignore[attr-defined]  # raw JSON
        for change in entry.get("changes", []):
            value = change.get("value", {})
            count += sum(len(value.get(k, [])) for k in _ITEMS.get(change.get("field"), ()))
    return count


@pytest.mark.parametrize("name", meta_sample_names())
def test_every_reference_sample_becomes_one_event_per_item(name: str) -> None:
    raw = (META_SAMPLES / name).read_bytes()
    out = route_webhook(raw, HEADERS, "wa.webhooks")
    assert all(o.destination == "events" for o in out)
    assert len(out) == _expected_count(json.loads(raw))
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
    first = route_webhook(raw, HEADERS, "wa.webhooks")
    again = route_webhook(raw, {**HEADERS, "received_at_ms": b"1700000099000"}, "wa.webhooks")
    assert [dict(r.headers)["event_id"] for r in first] == [
        dict(r.headers)["event_id"] for r in again
    ]


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"not json", HEADERS, "meta_payload_invalid"),
        (b'{"object": "whatsapp_business_account", "entry": "x"}', HEADERS, "meta_payload_invalid"),
        (b"{}", {k: v for k, v in HEADERS.items() if k != "tenant_id"}, "bad_record"),
    ],
)
def test_unusable_records_go_to_the_dlq_with_the_reason(
    body: bytes, headers: dict[str, bytes], code: str
) -> None:
    [out] = route_webhook(body, headers, "wa.webhooks")
    assert out.destination == "dlq"
    assert out.value == body  # kept byte for byte, for a later replay
    reasons = dict(out.headers)
    assert reasons["dlq_source_topic"] == b"wa.webhooks"
    assert reasons["dlq_error_code"] == code.encode()
    assert reasons["dlq_error"]
