"""What the gateway and the worker call to count things: one call per instrumented site.

Each function bounds its label values (:mod:`pipeline.metrics.labels`) before touching a
series, so a call site passes plain facts (a topic, an error code, record headers) and never
has to think about cardinality. None of them does I/O or raises on odd input.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Final

from prometheus_client import disable_created_metrics

from pipeline.kafka.retry import header_int
from pipeline.kafka.topics import TOPICS, dlq_topic, held_topic, retry_topic
from pipeline.metrics import registry as m
from pipeline.metrics.labels import TenantLabel, bounded, error_reason
from pipeline.settings import MetricsSettings
from tenancy.errors import QuotaExceededError, RateLimitedError

tenant_label: Final = TenantLabel()
"""The process's tenant label policy, switched by :func:`configure`."""

SHARED_APP: Final = "_shared"
"""The tenant value of requests to the shared Meta app's route (they name no one tenant)."""

_TOPICS: Final = frozenset(t.name for t in TOPICS)

AGENTS: Final = frozenset({"split_meta_webhooks", "forward_to_genesys", "forward_to_meta"})
OUTCOMES: Final = frozenset(
    {
        # forward_to_genesys
        "delivered", "duplicate", "no_receipt", "not_tracked", "receipt_sent", "skipped",
        # forward_to_genesys: echoes, calls, preferences (pipeline.worker.side_events)
        "echo_delivered", "call_notice_sent", "call_ignored",
        "preference_recorded", "preference_stale", "preference_ignored",
        # forward_to_meta
        "sent", "nothing_to_send", "window_closed", "failed", "ignored", "typing", "no_typing",
        # split_meta_webhooks
        "split",
        # a failed attempt, by where it went
        "retry", "held", "dlq",
    }
)  # fmt: skip
DELIVERED: Final = {"forward_to_genesys": "delivered", "forward_to_meta": "sent"}
"""Per agent, the outcome that completes a message's journey (the end-to-end latency)."""
DIRECTIONS: Final = {"forward_to_genesys": "to_genesys", "forward_to_meta": "to_meta"}

REJECTION_REASONS: Final = frozenset(
    {
        "bad_signature", "malformed", "unknown_tenant", "suspended", "too_large",
        "kafka_unavailable", "unowned_number", "credentials_missing", "shared_app_missing",
        "dependency_unavailable", "throttled",
    }
)  # fmt: skip
QUARANTINE_REASONS: Final = frozenset({"number_not_owned", "not_json", "no_changes"})


def configure(settings: MetricsSettings) -> None:
    """Apply the metrics settings; the entry point calls it before serving anything."""
    tenant_label.enabled = settings.tenant_label
    # A `_created` timestamp per series would double what every scrape carries, for a fact
    # Prometheus does not use with the text format.
    disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream


def _tenant(tenant_id: str | None) -> str:
    return tenant_label(tenant_id)


def _topic(name: str) -> str:
    return bounded(name, _TOPICS)


# --- gateway -----------------------------------------------------------------------------


def webhook_finished(source: str, tenant: str, rejected: str | None) -> None:
    """One webhook request answered; ``tenant`` is a label value already (see ingress)."""
    source = bounded(source, {"meta", "genesys"})
    m.WEBHOOKS_RECEIVED.labels(source, tenant).inc()
    if rejected is not None:
        reason = bounded(rejected, REJECTION_REASONS)
        m.WEBHOOKS_REJECTED.labels(source, tenant, reason).inc()


def webhook_stored(source: str, tenant_id: str) -> None:
    """One verified webhook body (or shared-app part) stored on Kafka for ``tenant_id``."""
    source = "meta" if source.startswith("meta") else bounded(source, {"genesys"})
    m.WEBHOOKS_STORED.labels(source, _tenant(tenant_id)).inc()


def webhook_quarantined(tenant_id: str, reason: str) -> None:
    """A body set aside on the quarantine topic (``tenant_id`` empty on the shared route)."""
    tenant = _tenant(tenant_id) if tenant_id else shared_tenant()
    m.WEBHOOKS_QUARANTINED.labels(tenant, bounded(reason, QUARANTINE_REASONS)).inc()


def shared_tenant() -> str:
    """The tenant value of a shared-app request."""
    return tenant_label.marker(SHARED_APP)


def request_throttled(exc: RateLimitedError | QuotaExceededError) -> None:
    """A tenant API request answered 429 (its tenant was resolved before the check)."""
    reason = "rate_limited" if isinstance(exc, RateLimitedError) else "quota_exceeded"
    m.REQUESTS_THROTTLED.labels(_tenant(exc.tenant_id), reason).inc()


def kafka_produced(topic: str, ok: bool, elapsed_s: float) -> None:
    """One durable publish finished (``ok``) or gave up."""
    m.KAFKA_PRODUCE_SECONDS.labels(_topic(topic), "ok" if ok else "error").observe(elapsed_s)


# --- worker ------------------------------------------------------------------------------


def event_handled(agent: str, headers: Mapping[str, bytes], outcome: str, started: float) -> None:
    """One attempt of one record finished at ``outcome`` (``started``: ``time.monotonic()``).

    The outcome that delivers a message also observes the end-to-end latency, measured from
    the gateway's ``received_at_ms`` header (carried on every record derived from it).
    """
    agent = bounded(agent, AGENTS)
    tenant = _tenant(headers.get("tenant_id", b"").decode(errors="replace"))
    m.AGENT_EVENTS.labels(agent, bounded(outcome, OUTCOMES), tenant).inc()
    m.AGENT_PROCESSING_SECONDS.labels(agent).observe(max(0.0, time.monotonic() - started))
    if DELIVERED.get(agent) == outcome:
        received_ms = header_int(headers, "received_at_ms")
        if received_ms:
            latency_s = max(0.0, time.time() - received_ms / 1000)
            m.END_TO_END_SECONDS.labels(DIRECTIONS[agent]).observe(latency_s)


_ROUTES: Final = {
    "retry": (m.RETRIES, retry_topic),
    "held": (m.HELD, held_topic),
    "dlq": (m.DLQ_WRITTEN, dlq_topic),
}


def failure_routed(destination: str, source: str, code: str, tenant_id: str) -> None:
    """A failed record of topic ``source`` sent to its ``destination`` topic (``retry``,
    ``held`` or ``dlq``) because of ``code``; the series' ``topic`` is the one written to."""
    route = _ROUTES.get(destination)
    if route is not None:
        series, topic_of = route
        series.labels(_topic(topic_of(source)), error_reason(code), _tenant(tenant_id)).inc()


def dead_lettered(source: str, headers: Iterable[tuple[str, bytes]]) -> None:
    """A record of ``source`` written to its DLQ with ``pipeline.worker.records.dlq_headers``."""
    found = dict(headers)
    code = found.get("dlq_error_code", b"").decode(errors="replace")
    failure_routed("dlq", source, code, found.get("tenant_id", b"").decode(errors="replace"))


def paced(destination: str, tenant_id: str, wait_s: float) -> None:
    """A vendor call waited ``wait_s`` for its budget."""
    destination = bounded(destination, {"genesys", "meta"})
    m.PACING_WAITS.labels(destination, _tenant(tenant_id)).inc()
    m.PACING_WAIT_SECONDS.labels(destination).observe(wait_s)
