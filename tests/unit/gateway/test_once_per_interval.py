"""The Vault re-read throttle of the webhook secrets: once per interval per tenant and kind."""

from __future__ import annotations

from pipeline.gateway.tenant_secrets import OncePerInterval
from tests.unit.fake_clock import FakeClock


def test_one_reread_per_interval_per_tenant_and_kind() -> None:
    clock = FakeClock()
    throttle = OncePerInterval(10.0, clock)
    assert throttle.allow("meta", "acme")
    assert not throttle.allow("meta", "acme")
    # Other tenants and other kinds have their own allowance.
    assert throttle.allow("genesys", "acme")
    assert throttle.allow("meta", "other")
    clock.now = 9.9
    assert not throttle.allow("meta", "acme")
    clock.now = 10.0
    assert throttle.allow("meta", "acme")
    assert not throttle.allow("meta", "acme")


def test_an_interval_of_zero_always_allows() -> None:
    throttle = OncePerInterval(0.0, FakeClock())
    assert all(throttle.allow("meta", "acme") for _ in range(3))
