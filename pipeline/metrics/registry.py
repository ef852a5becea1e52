"""Every Prometheus series wagen exports, defined once, on the process's default registry.

Names follow Prometheus conventions: ``wagen_`` prefix, base units in the name (``_seconds``,
``_records``), counters end in ``_total``. Label values are bounded by
:mod:`pipeline.metrics.labels`; histograms carry no tenant label (a histogram is a dozen
series per label combination, so per-tenant detail lives in the counters).

Each process (every gateway replica, every worker) exports its own registry: Prometheus
scrapes each one and sums across them, so no multiprocess mode is needed. Importing this
module only creates the metric objects; nothing is started or connected.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

# --- gateway -----------------------------------------------------------------------------

WEBHOOKS_RECEIVED: Final = Counter(
    "wagen_webhooks_received_total",
    "Webhook requests received by the gateway's ingress routes, accepted or not.",
    ["source", "tenant"],
)
WEBHOOKS_REJECTED: Final = Counter(
    "wagen_webhooks_rejected_total",
    "Webhook requests refused, by reason (bad_signature, unknown_tenant, too_large...).",
    ["source", "tenant", "reason"],
)
WEBHOOKS_STORED: Final = Counter(
    "wagen_webhooks_stored_total",
    "Webhook bodies stored on Kafka for a tenant (a shared-app request may store several).",
    ["source", "tenant"],
)
WEBHOOKS_QUARANTINED: Final = Counter(
    "wagen_webhooks_quarantined_total",
    "Webhook bodies (or parts) set aside on wa.webhooks.quarantine, never forwarded.",
    ["tenant", "reason"],
)
REQUESTS_THROTTLED: Final = Counter(
    "wagen_gateway_throttled_requests_total",
    "Tenant API requests answered 429: request rate limit or monthly quota.",
    ["tenant", "reason"],
)
AUTH_FAILURES: Final = Counter(
    "wagen_auth_failures_total",
    "Refused credentials (API keys, admin tokens, JWTs) and webhook signatures, by route "
    "scope (admin, tenant, webhook); no client or tenant label: the caller is not verified.",
    ["scope"],
)
AUTH_THROTTLED: Final = Counter(
    "wagen_auth_throttled_total",
    "Requests answered 429 because their client address or API-key prefix failed to "
    "authenticate too often (WAGEN_TENANCY_AUTH_FAILURE_LIMIT per window).",
    ["scope"],
)
KAFKA_PRODUCE_SECONDS: Final = Histogram(
    "wagen_kafka_produce_duration_seconds",
    "Time to store one record on all in-sync replicas (acks=all), or to give up.",
    ["topic", "outcome"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# --- worker ------------------------------------------------------------------------------

AGENT_EVENTS: Final = Counter(
    "wagen_agent_events_total",
    "Records an agent handled (each attempt counts), by outcome.",
    ["agent", "outcome", "tenant"],
)
AGENT_PROCESSING_SECONDS: Final = Histogram(
    "wagen_agent_processing_duration_seconds",
    "Time an agent spent on one attempt of one record (vendor calls and waits included).",
    ["agent"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
END_TO_END_SECONDS: Final = Histogram(
    "wagen_end_to_end_latency_seconds",
    "From the gateway receiving a webhook to its message being accepted by the other side.",
    ["direction"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
)
RETRIES: Final = Counter(
    "wagen_retries_total",
    "Records sent to a retry topic, by the failure's reason.",
    ["topic", "reason", "tenant"],
)
DLQ_WRITTEN: Final = Counter(
    "wagen_dlq_written_total",
    "Records written to a dead-letter topic, by reason.",
    ["topic", "reason", "tenant"],
)
HELD: Final = Counter(
    "wagen_events_held_total",
    "Records parked on a held topic (monthly quota used up, credentials missing).",
    ["topic", "reason", "tenant"],
)
PACING_WAITS: Final = Counter(
    "wagen_pacing_waits_total",
    "Vendor calls that waited for a token of the tenant's (or number's) budget.",
    ["destination", "tenant"],
)
PACING_WAIT_SECONDS: Final = Histogram(
    "wagen_pacing_wait_duration_seconds",
    "How long a paced vendor call waited for its turn.",
    ["destination"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
DLQ_RECORDS: Final = Gauge(
    "wagen_dlq_records",
    "Records on a dead-letter topic (end minus earliest offset, summed over partitions); "
    "sampled periodically by every worker (aggregate with max).",
    ["topic"],
)
CONSUMER_LAG: Final = Gauge(
    "wagen_consumer_lag_records",
    "Records of a partition the worker group has not committed yet; sampled periodically "
    "by every worker for the whole group (aggregate with max).",
    ["group", "topic", "partition"],
)
KAFKA_SAMPLED_AT: Final = Gauge(
    "wagen_kafka_sample_timestamp_seconds",
    "Unix time of the last successful lag and DLQ size sample (alert when it goes stale).",
    ["group"],
)

# --- outbound calls (reported by connectors through pipeline.metrics.connectors) ---------

OUTBOUND_REQUESTS: Final = Counter(
    "wagen_outbound_requests_total",
    "HTTP requests to Meta and Genesys (each retry counts), by operation and status.",
    ["destination", "operation", "status", "tenant"],
)
OUTBOUND_SECONDS: Final = Histogram(
    "wagen_outbound_request_duration_seconds",
    "Duration of one HTTP request to Meta or Genesys, connection to last byte.",
    ["destination", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TOKEN_REFRESHES: Final = Counter(
    "wagen_genesys_token_refreshes_total",
    "Genesys OAuth token fetches (first use, expiry or a 401), by outcome.",
    ["outcome", "tenant"],
)
