"""Token buckets of the pacer, and the simulator's rate limit they must stay under (pure)."""

from __future__ import annotations

import pytest

from connectors.sandbox.common import RateLimitRule, RateLimits
from pipeline.settings import PacingSettings
from pipeline.worker.pacing import Budget, PacingBudgets, TokenBucket
from pipeline.worker.resources import pacer_from
from tests.unit.fake_clock import FakeClock


def test_a_burst_goes_at_once_then_calls_queue_at_the_rate() -> None:
    bucket = TokenBucket(rate_per_s=5.0, burst=3)
    waits = [bucket.reserve(10.0) for _ in range(6)]
    # Three at once, then one every 0.2 s, in the order asked: queued, not refused.
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.2, 0.4, 0.6])


def test_tokens_come_back_with_time_but_never_beyond_the_burst() -> None:
    bucket = TokenBucket(rate_per_s=5.0, burst=2)
    assert [bucket.reserve(0.0) for _ in range(2)] == [0.0, 0.0]
    assert bucket.reserve(0.2) == 0.0  # one token refilled in 0.2 s
    assert bucket.reserve(0.2) == pytest.approx(0.2)
    # A long quiet spell refills only up to the burst.
    assert [bucket.reserve(100.0) for _ in range(3)] == pytest.approx([0.0, 0.0, 0.2])


def test_a_hold_delays_every_later_call_by_the_retry_after() -> None:
    bucket = TokenBucket(rate_per_s=10.0, burst=10)
    bucket.hold(0.0, 2.0)
    assert bucket.reserve(0.0) == pytest.approx(2.1)
    assert bucket.reserve(2.0) == pytest.approx(0.2)


def test_a_bucket_needs_a_rate_and_room_for_one_call() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate_per_s=0.0, burst=1)
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(rate_per_s=1.0, burst=0)


async def test_budgets_per_tenant_for_genesys_per_number_for_meta_with_overrides() -> None:
    clock = FakeClock(100.0)
    settings = PacingSettings(
        genesys_per_minute=60, genesys_burst=1, genesys_overrides={"fast": 600}, meta_burst=1
    )
    pacer = pacer_from(settings, clock)
    assert [pacer.reserve("genesys", "acme") for _ in range(2)] == pytest.approx([0.0, 1.0])
    # Another tenant has its own bucket; a raised limit waits ten times less.
    assert [pacer.reserve("genesys", "fast") for _ in range(2)] == pytest.approx([0.0, 0.1])
    # Meta: one bucket per number, 80/s by default.
    assert [pacer.reserve("meta", "acme", "111") for _ in range(2)] == pytest.approx([0, 1 / 80])
    assert pacer.reserve("meta", "acme", "222") == 0.0
    await pacer.hold("genesys", "acme", 5.0)
    assert pacer.reserve("genesys", "acme") == pytest.approx(2.0 + 5.0)


def test_budgets_fall_back_to_the_default() -> None:
    budgets = PacingBudgets(genesys=Budget(5, 5), meta=Budget(80, 80))
    assert budgets.of("genesys", "anyone") == Budget(5, 5)
    assert budgets.of("meta", "anyone") == Budget(80, 80)


def test_a_paced_caller_is_never_refused_by_a_limit_of_the_same_rate() -> None:
    clock = FakeClock(100.0)
    limit = RateLimits(clock)
    limit.set(RateLimitRule(scope="integration", per_second=5, burst=5))
    bucket = TokenBucket(rate_per_s=5.0, burst=5)
    start = clock.now
    sends = sorted(start + bucket.reserve(start) for _ in range(50))
    accepted = []
    for at in sends:
        clock.now = at + 0.001  # the request reaches the vendor a moment later
        accepted.append(limit.take("integration"))
    assert all(accepted)
    # Unpaced, the same 50 calls at once mostly get 429s.
    burst = [limit.take("integration") for _ in range(50)]
    assert burst.count(True) <= 1
    assert limit.take("another integration")
