"""The retry-topic schedule and the headers that carry attempts (pure)."""

from __future__ import annotations

import json

import pytest

from pipeline.kafka import retry
from pipeline.kafka.retry import BackoffPolicy

POLICY = BackoffPolicy(attempts=4, base_delay_s=2.0, max_delay_s=10.0)


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(1, 1.0, 2.0), (2, 2.0, 4.0), (3, 4.0, 8.0), (4, 5.0, 10.0)]
)
def test_backoff_doubles_with_equal_jitter_and_a_cap(attempt: int, low: float, high: float) -> None:
    assert POLICY.delay_s(attempt, rand=lambda: 0.0) == low
    assert POLICY.delay_s(attempt, rand=lambda: 1.0) == high


def test_retry_after_is_a_floor_even_beyond_the_cap() -> None:
    assert POLICY.delay_s(1, retry_after=2.0, rand=lambda: 0.0) == 2.0
    assert POLICY.delay_s(1, retry_after=60.0, rand=lambda: 1.0) == 60.0
    assert POLICY.delay_s(3, retry_after=0.5, rand=lambda: 0.0) == 4.0


def test_attempts_are_exhausted_at_the_configured_count() -> None:
    assert [POLICY.exhausted(n) for n in (1, 3, 4, 5)] == [False, False, True, True]


def test_retry_headers_keep_the_original_facts_and_replace_the_schedule() -> None:
    original = {"tenant_id": b"acme", "event_id": b"e-1", "attempt": b"1", "not_before_ms": b"5"}
    first = retry.with_failure(original, attempt=1, code="genesys_retryable", error="502", at_ms=7)
    # A list of pairs, as Kafka carries them.
    headers = dict(retry.retry_headers(original, attempt=2, not_before=1_000, failures=first))
    assert headers["tenant_id"] == b"acme"
    assert headers["event_id"] == b"e-1"
    assert (headers["attempt"], headers["not_before_ms"]) == (b"2", b"1000")
    assert headers["last_error_code"] == b"genesys_retryable"
    assert retry.attempts_made(headers) == 2
    assert retry.not_before_ms(headers) == 1000
    second = retry.with_failure(headers, attempt=2, code="claim_busy", error="x" * 900, at_ms=9)
    assert [(a.attempt, a.code) for a in second] == [(1, "genesys_retryable"), (2, "claim_busy")]
    assert len(second[-1].error) == 500
    assert json.loads(retry.history_json(second))[0]["at_ms"] == 7


def test_records_never_retried_read_as_zero_attempts() -> None:
    assert retry.attempts_made({}) == 0
    assert retry.not_before_ms({"not_before_ms": b"garbage"}) == 0
    assert retry.history({"retry_history": b"{not json"}) == []
