"""The recording calls of the gateway and the worker: which series move, with which labels."""

from __future__ import annotations

import time
import uuid

from connectors.meta.payload import MetaPayloadError
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_EVENTS, WA_WEBHOOKS
from pipeline.metrics import record
from pipeline.worker.records import dlq_headers
from tenancy.errors import QuotaExceededError, RateLimitedError
from tests.unit.metrics.conftest import value


def _tenant() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _headers(tenant: str, received_s_ago: float) -> dict[str, bytes]:
    received_ms = int((time.time() - received_s_ago) * 1000)
    return {"tenant_id": tenant.encode(), "received_at_ms": str(received_ms).encode()}


def test_a_delivered_message_observes_its_end_to_end_latency() -> None:
    tenant = _tenant()
    count = value("wagen_end_to_end_latency_seconds_count", direction="to_genesys")
    total = value("wagen_end_to_end_latency_seconds_sum", direction="to_genesys")
    started = time.monotonic()
    record.event_handled("forward_to_genesys", _headers(tenant, 2.0), "delivered", started)
    assert value("wagen_end_to_end_latency_seconds_count", direction="to_genesys") == count + 1
    latency = value("wagen_end_to_end_latency_seconds_sum", direction="to_genesys") - total
    assert 2.0 <= latency < 60
    assert (
        value(
            "wagen_agent_events_total",
            agent="forward_to_genesys",
            outcome="delivered",
            tenant=tenant,
        )
        == 1
    )


def test_other_outcomes_count_but_are_no_delivery() -> None:
    tenant = _tenant()
    e2e = value("wagen_end_to_end_latency_seconds_count", direction="to_meta")
    processed = value("wagen_agent_processing_duration_seconds_count", agent="forward_to_meta")
    for outcome in ("duplicate", "retry", "window_closed", "something-new"):
        record.event_handled("forward_to_meta", _headers(tenant, 1), outcome, time.monotonic())
    assert value("wagen_end_to_end_latency_seconds_count", direction="to_meta") == e2e
    assert (
        value("wagen_agent_processing_duration_seconds_count", agent="forward_to_meta")
        == processed + 4
    )
    labels = {"agent": "forward_to_meta", "tenant": tenant}
    assert value("wagen_agent_events_total", outcome="retry", **labels) == 1
    assert value("wagen_agent_events_total", outcome="other", **labels) == 1


def test_a_delivery_without_a_received_time_skips_the_latency() -> None:
    count = value("wagen_end_to_end_latency_seconds_count", direction="to_meta")
    headers = {"tenant_id": _tenant().encode(), "received_at_ms": b"yesterday"}
    record.event_handled("forward_to_meta", headers, "sent", time.monotonic())
    assert value("wagen_end_to_end_latency_seconds_count", direction="to_meta") == count


def test_failures_are_counted_on_the_topic_written_to_with_a_bounded_reason() -> None:
    tenant = _tenant()
    record.failure_routed("retry", WA_EVENTS, "genesys_rate_limited", tenant)
    record.failure_routed("held", WA_EVENTS, "monthly_quota_exceeded", tenant)
    record.failure_routed("dlq", GENESYS_WEBHOOKS, "ValueError", tenant)
    record.failure_routed("dlq", GENESYS_WEBHOOKS, "retries_exhausted", tenant)
    assert (
        value(
            "wagen_retries_total",
            topic=f"{WA_EVENTS}.retry",
            reason="genesys_rate_limited",
            tenant=tenant,
        )
        == 1
    )
    assert (
        value(
            "wagen_events_held_total",
            topic=f"{WA_EVENTS}.held",
            reason="monthly_quota_exceeded",
            tenant=tenant,
        )
        == 1
    )
    dlq = {"topic": f"{GENESYS_WEBHOOKS}.dlq", "tenant": tenant}
    assert value("wagen_dlq_written_total", reason="other", **dlq) == 1
    assert value("wagen_dlq_written_total", reason="retries_exhausted", **dlq) == 1


def test_a_split_dlq_record_is_read_from_its_headers() -> None:
    tenant = _tenant()
    headers = dlq_headers(
        {"tenant_id": tenant.encode()},
        source_topic=WA_WEBHOOKS,
        error_code=MetaPayloadError.code,
        error="entry[0].changes: field required",
    )
    record.dead_lettered(WA_WEBHOOKS, headers)
    labels = {"topic": f"{WA_WEBHOOKS}.dlq", "reason": "meta_payload_invalid", "tenant": tenant}
    assert value("wagen_dlq_written_total", **labels) == 1


def test_topics_outside_the_declared_ones_are_other() -> None:
    before = value("wagen_kafka_produce_duration_seconds_count", topic="other", outcome="error")
    record.kafka_produced(f"test-{uuid.uuid4().hex}", False, 0.5)
    after = value("wagen_kafka_produce_duration_seconds_count", topic="other", outcome="error")
    assert after == before + 1


def test_pacing_waits_and_throttled_requests() -> None:
    tenant = _tenant()
    waited = value("wagen_pacing_wait_duration_seconds_sum", destination="genesys")
    record.paced("genesys", tenant, 0.25)
    assert value("wagen_pacing_waits_total", destination="genesys", tenant=tenant) == 1
    assert value("wagen_pacing_wait_duration_seconds_sum", destination="genesys") == waited + 0.25
    record.request_throttled(RateLimitedError(tenant_id=tenant, limit=10, retry_after_s=1))
    record.request_throttled(
        QuotaExceededError(tenant_id=tenant, plan="starter", limit=10, retry_after_s=60)
    )
    for reason in ("rate_limited", "quota_exceeded"):
        assert value("wagen_gateway_throttled_requests_total", tenant=tenant, reason=reason) == 1


def test_quarantine_on_the_shared_route_is_shared() -> None:
    labels = {"tenant": "_shared", "reason": "number_not_owned"}
    before = value("wagen_webhooks_quarantined_total", **labels)
    record.webhook_quarantined("", "number_not_owned")
    assert value("wagen_webhooks_quarantined_total", **labels) == before + 1
