"""What a journey row learns from a record's headers: the way there, never an exception."""

from __future__ import annotations

import json

from pipeline.kafka import retry
from pipeline.store import journey
from pipeline.store.journey import Mark, Position
from pipeline.worker.split_meta import route_webhook
from tests.unit.schemas.reference import META_SAMPLES, meta_sample_names

HEADERS = {
    "tenant_id": b"acme",
    "received_at_ms": b"1700000000000",
    "request_id": b"req-1",
}


def test_split_events_name_the_webhook_record_they_came_from() -> None:
    raw = (META_SAMPLES / meta_sample_names()[0]).read_bytes()
    out = route_webhook(raw, HEADERS, "wa.webhooks", Position("wa.webhooks", 3, 41)).records
    assert out
    for record in out:
        headers = dict(record.headers)
        assert headers[journey.WEBHOOK_REF] == b"wa.webhooks:3:41"
        assert headers[journey.SPLIT_AT_MS].isdigit()


def test_a_mark_reads_the_way_from_the_headers() -> None:
    failures = retry.with_failure({}, attempt=1, code="genesys_unavailable", error="503", at_ms=5)
    headers = {
        **HEADERS,
        journey.WEBHOOK_REF: b"wa.webhooks:3:41",
        journey.ORIGIN_REF: b"wa.events:7:100",
        journey.SPLIT_AT_MS: b"1700000000050",
        retry.HISTORY: retry.history_json(failures).encode(),
    }
    mark = Mark.of(headers, Position("wa.events.retry", 2, 9), attempt=2)
    assert mark.correlation_id == "req-1"
    assert mark.origin == Position("wa.events", 7, 100)
    facts = mark.facts()
    assert facts["webhook"] == {"topic": "wa.webhooks", "partition": 3, "offset": 41}
    assert facts["receivedAtMs"] == 1_700_000_000_000
    assert facts["splitAtMs"] == 1_700_000_000_050
    assert facts["failures"] == [
        {"attempt": 1, "atMs": 5, "code": "genesys_unavailable", "error": "503"}
    ]


def test_a_first_copy_is_its_own_origin_and_odd_headers_are_left_out() -> None:
    headers = {"request_id": b"", journey.WEBHOOK_REF: b"nonsense", retry.HISTORY: b"{not json"}
    mark = Mark.of(headers, Position("wa.events", 1, 2), attempt=1)
    assert mark.origin == Position("wa.events", 1, 2)
    assert mark.correlation_id is None
    assert mark.facts() == {"origin": {"topic": "wa.events", "partition": 1, "offset": 2}}


def test_copies_keep_the_first_origin() -> None:
    first = journey.origin_header({}, Position("wa.events", 1, 2))
    assert first == [(journey.ORIGIN_REF, b"wa.events:1:2")]
    assert journey.origin_header(dict(first), Position("wa.events.retry", 0, 5)) == []
    assert journey.origin_header({}, None) == []


def test_a_step_statement_carries_position_attempt_and_facts() -> None:
    mark = Mark.of(HEADERS, Position("wa.events", 1, 2), attempt=3)
    statement = journey.step("acme", "inbound", "wamid.X", "delivered", mark, {"to": "genesys"})
    args = statement.args
    assert args[:9] == ("acme", "inbound", "wamid.X", "delivered", "req-1", "wa.events", 1, 2, 3)
    detail = json.loads(str(args[9]))
    assert detail["to"] == "genesys"
    assert detail["receivedAtMs"] == 1_700_000_000_000
    bare = journey.step("acme", "outbound", "g-1", "receipt", None)
    assert bare.args[4:9] == (None, None, None, None, None)
