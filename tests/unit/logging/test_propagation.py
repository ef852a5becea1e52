"""The correlation id travels with a message: split events, retries, held and DLQ entries,
replays; and the ids each agent binds for a record's log lines."""

from __future__ import annotations

import json

from pipeline.kafka import retry
from pipeline.ops.dlq import DlqEntry
from pipeline.ops.held import release_headers
from pipeline.telemetry.correlation import LogContext
from pipeline.worker.keyed_agent import Record
from pipeline.worker.outbound_agent import agent_log_facts
from pipeline.worker.records import dlq_headers
from pipeline.worker.split_meta import route_webhook
from schemas.events import WAGEN_EVENT, MessageReceived
from tests.unit.schemas.reference import META_SAMPLES, meta_sample_names

HEADERS = {
    "tenant_id": b"acme",
    "received_at_ms": b"1700000000000",
    "request_id": b"req-in-1",
    "source": b"meta",
}


def _split() -> list[tuple[dict[str, bytes], MessageReceived]]:
    found = []
    for name in meta_sample_names():
        for out in route_webhook(
            (META_SAMPLES / name).read_bytes(), HEADERS, "wa.webhooks"
        ).records:
            event = WAGEN_EVENT.validate_json(out.value)
            if isinstance(event, MessageReceived):
                found.append((dict(out.headers), event))
    return found


def test_every_split_event_carries_the_webhooks_id_and_its_own_message_id() -> None:
    split = _split()
    assert split
    for headers, event in split:
        facts = LogContext.from_headers(headers)
        assert facts == LogContext(
            correlation_id="req-in-1",
            tenant_id="acme",
            message_id=event.message_id,
            event_id=str(event.event_id),
        )


def test_retry_held_dlq_and_replay_keep_the_correlation_id() -> None:
    headers, _ = _split()[0]
    failures = retry.with_failure(headers, attempt=1, code="genesys_5xx", error="503", at_ms=1)
    retried = dict(retry.retry_headers(headers, attempt=1, not_before=2, failures=failures))
    dead = dict(dlq_headers(retried, source_topic="wa.events", error_code="x", error="y"))
    held = {**headers, "held_reason": b"monthly_quota_exceeded"}
    released = dict(release_headers(DlqEntry("wa.events.held", 0, 7, b"k", b"v", held)))
    replayed = dict(DlqEntry("wa.events.dlq", 0, 9, b"k", b"v", dead).replay_headers())
    for kept in (retried, dead, released, replayed):
        assert LogContext.from_headers(kept) == LogContext.from_headers(headers)


def _agent_record(body: object) -> Record:
    value = json.dumps(body).encode()
    return Record(key=b"acme", value=value, headers={"tenant_id": b"acme", "request_id": b"g-1"})


def test_an_agent_webhook_gives_its_genesys_id_and_the_wa_id_conversation() -> None:
    record = _agent_record({"id": "gen-1", "channel": {"to": {"id": "+15551234567"}}})
    assert agent_log_facts(record) == LogContext(
        message_id="gen-1", conversation="acme:15551234567"
    )


def test_an_unreadable_agent_webhook_gives_nothing() -> None:
    assert agent_log_facts(Record(key=None, value=b"not json", headers={})) == LogContext()
    assert agent_log_facts(_agent_record({"id": "gen-2", "channel": []})) == LogContext()
    assert agent_log_facts(_agent_record(["a list"])) == LogContext()
