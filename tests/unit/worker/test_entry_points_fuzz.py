"""The forwarding agents' entry points, fuzzed: no record, however poisoned, raises past them.

What an agent does with a record before its handler's routing — the conversation key, the
log facts, the decoding and translation, and the publishing of a failure with its headers
— runs here on the poison strategies of :mod:`tests.unit.poison`; any exception but the
documented one (:class:`~connectors.translate.GenesysPayloadError`) fails the test. The
Genesys and Meta calls themselves are left to the connected tests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.meta.webhook import split_webhook
from connectors.translate import (
    GenesysPayloadError,
    GenesysTarget,
    MetaCall,
    MetaTarget,
    event_to_genesys,
    outbound_to_meta,
    read_outbound,
)
from pipeline.kafka import retry
from pipeline.kafka.retry import BackoffPolicy
from pipeline.metrics import record as metrics
from pipeline.telemetry.correlation import LogContext
from pipeline.worker.forward_agent import EventHandler, EventTopics, conversation_key
from pipeline.worker.keyed_agent import Record, conversation_or_fallback
from pipeline.worker.order import park_seq
from pipeline.worker.outbound_agent import agent_conversation, agent_log_facts
from pipeline.worker.resources import WorkerResources
from pipeline.worker.routing import decide
from schemas.events import WAGEN_EVENT
from tests.unit import poison
from tests.unit.poison import encoded, json_values, mutated, poison_bodies, text
from tests.unit.schemas.reference import (
    GENESYS_EXAMPLES,
    META_SAMPLES,
    load_json,
    meta_sample_names,
)

POLICY = BackoffPolicy(attempts=3, base_delay_s=1.0, max_delay_s=30.0)
RECEIVED = datetime(2026, 1, 2, tzinfo=UTC)
FUZZ = settings(
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

GENESYS_BODIES = [
    load_json(GENESYS_EXAMPLES / name)
    for name in (
        "outbound_webhook_text_ok.json",
        "outbound_webhook_image_ok.json",
        "outbound_webhook_typing_ok.json",
    )
]
EVENT_BODIES = [
    json.loads(event.model_dump_json())
    for name in meta_sample_names()
    for event in split_webhook((META_SAMPLES / name).read_bytes(), "acme", RECEIVED)
]

records = st.builds(
    Record,
    key=st.none() | st.binary(max_size=40),
    value=poison_bodies(GENESYS_BODIES) | poison_bodies(EVENT_BODIES),
    headers=poison.headers,
)


def encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@FUZZ
@given(records)
def test_conversation_keys_never_raise_and_always_encode(record: Record) -> None:
    for conversation_of in (conversation_key, agent_conversation):
        key = conversation_or_fallback(conversation_of, record)
        assert encodable(key)
    agent_log_facts(record)  # never raises: an unreadable body gives no facts


@FUZZ
@given(poison.headers)
def test_what_the_agents_read_from_headers_never_raises(headers: dict[str, bytes]) -> None:
    record = Record(key=b"acme:1", value=b"{}", headers=headers)
    assert retry.attempts_made(headers) >= 0
    assert retry.not_before_ms(headers) >= 0
    park_seq(headers)
    retry.history(headers)
    LogContext.from_headers(headers)
    for conversation_of in (conversation_key, agent_conversation):
        assert encodable(conversation_or_fallback(conversation_of, record))
    for agent in ("split_meta_webhooks", "forward_to_genesys", "forward_to_meta"):
        metrics.event_handled(agent, headers, "delivered", 0.0)
        metrics.event_handled(agent, headers, "sent", 0.0)


def test_a_key_reader_that_raises_falls_back_to_the_tenant() -> None:
    def broken(_record: Record) -> str:
        raise RecursionError("a body nobody foresaw")

    record = Record(key=None, value=b"[" * 10, headers={"tenant_id": b"acme\xff"})
    assert conversation_or_fallback(broken, record) == "acme\ufffd"


def test_a_body_nested_beyond_the_decoder_gives_no_facts_and_the_tenant_key() -> None:
    record = Record(key=None, value=b"[" * 100_000, headers={"tenant_id": b"acme"})
    assert agent_conversation(record) == "acme"
    assert agent_log_facts(record).fields() == {}


class Sink:
    """Stands for a topic: records what the handler sends."""

    def __init__(self, name: str) -> None:
        self.topics = (name,)
        self.sent: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = []

    async def send(
        self, *, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        self.sent.append((key, value, headers))


class NoResources:
    """The handler must decide on a poison record before touching any client."""

    @property
    def clients(self) -> Any:
        raise AssertionError("a poison record reached the forwarder")


def handler() -> tuple[EventHandler, dict[str, Sink]]:
    sinks = {name: Sink(f"wa.events.{name}") for name in ("events", "retry", "dlq", "held")}
    topics = EventTopics(**cast(dict[str, Any], sinks))
    return EventHandler(cast(WorkerResources, NoResources()), topics, POLICY), sinks


@FUZZ
@given(
    st.builds(
        Record,
        key=st.none() | st.binary(max_size=40),
        value=poison_bodies([{"kind": "message", "schema_version": 1}, *EVENT_BODIES[:5]]),
        headers=st.just({"tenant_id": b"acme"}),
    )
)
async def test_a_poison_event_is_dead_lettered_with_its_reason(record: Record) -> None:
    forward, sinks = handler()
    try:
        WAGEN_EVENT.validate_json(record.value)
    except ValueError:
        decision = await forward.attempt(record, 1)
        assert decision is not None
        assert (decision.destination, decision.code) == ("dlq", "bad_event")
        await forward.publish(decision, record, 1)
        [(_, value, headers)] = sinks["dlq"].sent
        assert value == record.value
        assert all(isinstance(v, bytes) for _, v in headers)


@FUZZ
@given(text, st.sampled_from([ValueError, RuntimeError, KeyError, RecursionError]))
async def test_any_failure_text_makes_publishable_headers(message: str, kind: type) -> None:
    """An error quoting bad input (a lone surrogate, a NUL) still goes out as headers."""
    forward, sinks = handler()
    record = Record(key=b"acme:1", value=b"{}", headers={"tenant_id": b"acme"})
    for attempt in (1, POLICY.attempts):
        decision = decide(kind(message), attempt, POLICY)
        await forward.publish(decision, record, attempt)
    sent = [headers for sink in sinks.values() for _, _, headers in sink.sent]
    assert len(sent) == 2
    for headers in sent:
        assert all(isinstance(v, bytes) for _, v in headers)
        for _, v in headers:
            v.decode("utf-8")


def meta_target() -> MetaTarget:
    return MetaTarget(phone_number_id="1", last_inbound_wamid=lambda customer: f"w.{customer}")


def agent_webhook_outcome(raw: bytes) -> list[MetaCall] | GenesysPayloadError:
    """What the outbound sender makes of a body: the calls, or the one documented error."""
    try:
        message = read_outbound(raw, tenant_id="acme").message
        return outbound_to_meta(message, meta_target(), tenant_id="acme")
    except GenesysPayloadError as exc:
        return exc


@FUZZ
@given(poison_bodies(GENESYS_BODIES))
def test_a_poison_agent_webhook_is_refused_by_field_or_translated(raw: bytes) -> None:
    outcome = agent_webhook_outcome(raw)
    if isinstance(outcome, GenesysPayloadError):
        assert outcome.field
        assert encodable(str(outcome))
        return
    for call in outcome:
        call.body.model_dump_json().encode("utf-8")


def genesys_target() -> GenesysTarget:
    return GenesysTarget(
        integration_id="i", media_url=lambda m: f"https://m/{m}", genesys_message_id=lambda w: "g"
    )


@FUZZ
@given(mutated(EVENT_BODIES).map(encoded) | json_values.map(encoded))
def test_a_poison_event_that_still_validates_translates(raw: bytes) -> None:
    try:
        event = WAGEN_EVENT.validate_json(raw)
    except ValueError:
        return  # the handler dead-letters it (test above)
    if event.kind == "genesys_outbound":
        return
    for call in event_to_genesys(event, genesys_target()):
        call.body.model_dump_json().encode("utf-8")
