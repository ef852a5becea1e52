"""Where a failed event goes: retry, held or DLQ (pure)."""

from __future__ import annotations

import asyncpg
import pytest

from connectors.errors import ConnectorTransportError
from connectors.genesys.errors import (
    GenesysCredentialsError,
    classify_genesys_error,
)
from pipeline.kafka.retry import BackoffPolicy
from pipeline.media.errors import MediaLinkMissingError
from pipeline.store.errors import ClaimBusyError
from pipeline.worker.errors import BadEventError, CredentialsMissingError
from pipeline.worker.routing import decide
from tenancy.errors import QuotaExceededError, TenantNotFoundError, TenantSuspendedError

POLICY = BackoffPolicy(attempts=3, base_delay_s=1.0, max_delay_s=30.0)


def test_a_429_is_retried_no_sooner_than_its_retry_after() -> None:
    error = classify_genesys_error(429, b"{}", {"Retry-After": "2"}, tenant_id="acme")
    decision = decide(error, 1, POLICY)
    assert (decision.destination, decision.code) == ("retry", "genesys_rate_limited")
    assert decision.delay_s >= 2.0


@pytest.mark.parametrize(
    "error",
    [
        classify_genesys_error(503, b"{}", tenant_id="acme"),
        ConnectorTransportError(
            "reset",
            vendor="genesys",
            operation="x",
            timed_out=False,
            maybe_sent=True,
            request_id="r",
        ),
        ClaimBusyError("in flight", retry_after=1.5),
        asyncpg.CannotConnectNowError("starting"),
        RuntimeError("unclassified"),
    ],
    ids=["5xx", "transport", "claim-busy", "postgres-down", "unexpected"],
)
def test_transient_failures_are_retried_then_dead_lettered(error: Exception) -> None:
    first = decide(error, 1, POLICY)
    assert first.destination == "retry"
    assert first.delay_s >= 0.5
    last = decide(error, 3, POLICY)
    assert (last.destination, last.code) == ("dlq", "retries_exhausted")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (classify_genesys_error(400, b"{}", tenant_id="acme"), "genesys_permanent"),
        (
            GenesysCredentialsError("refused", http_status=401, tenant_id="acme"),
            "genesys_credentials_invalid",
        ),
        (MediaLinkMissingError("no ingested media 123"), "media_link_missing"),
        (BadEventError("garbage"), "bad_event"),
        (TenantNotFoundError("gone", tenant_id="acme"), "tenant_not_found"),
        (TenantSuspendedError("suspended", tenant_id="acme"), "tenant_suspended"),
    ],
)
def test_permanent_failures_go_straight_to_the_dlq(error: Exception, code: str) -> None:
    decision = decide(error, 1, POLICY)
    assert (decision.destination, decision.code) == ("dlq", code)


def test_quota_exceeded_is_held_until_the_month_ends() -> None:
    error = QuotaExceededError(tenant_id="acme", plan="starter", limit=10, retry_after_s=3600)
    decision = decide(error, 1, POLICY)
    assert (decision.destination, decision.code) == ("held", "monthly_quota_exceeded")
    assert decision.release_after_s == 3600


def test_missing_credentials_are_held_not_dead_lettered() -> None:
    decision = decide(CredentialsMissingError("no genesys", tenant_id="acme"), 5, POLICY)
    assert (decision.destination, decision.code) == ("held", "credentials_missing")
