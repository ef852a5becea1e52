"""Label values stay in closed sets: tenants verified or folded, statuses and codes bounded."""

from __future__ import annotations

import pytest

from pipeline.metrics.labels import (
    ALL_TENANTS,
    NO_TENANT,
    OTHER,
    TenantLabel,
    bounded,
    error_reason,
    status_label,
)
from pipeline.store.errors import ClaimBusyError
from schemas.errors import WagenError
from tenancy.errors import QuotaExceededError, TenantSuspendedError


def test_a_tenant_id_is_its_own_label_while_the_switch_is_on() -> None:
    label = TenantLabel()
    assert label("acme-1") == "acme-1"
    assert label("") == NO_TENANT
    assert label(None) == NO_TENANT


@pytest.mark.parametrize(
    "foreign", ["Acme", "a" * 64, "acme/../x", "wamid.HBgL", "+15551234567 ", "ü"]
)
def test_a_value_that_cannot_be_a_tenant_id_is_other(foreign: str) -> None:
    assert TenantLabel()(foreign) == OTHER


def test_switched_off_every_tenant_and_marker_folds_into_all() -> None:
    label = TenantLabel(enabled=False)
    assert {label("acme"), label("globex"), label(None), label("Not An Id")} == {ALL_TENANTS}
    assert label.marker("_unknown") == ALL_TENANTS
    assert TenantLabel().marker("_unknown") == "_unknown"


def test_bounded_keeps_members_only() -> None:
    assert bounded("meta", {"meta", "genesys"}) == "meta"
    assert bounded("telegram", {"meta", "genesys"}) == OTHER


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (200, "200"),
        (429, "429"),
        (503, "503"),
        (418, "4xx"),
        (307, "3xx"),
        (599, "5xx"),
        (99, OTHER),
        (1000, OTHER),
        ("timeout", "timeout"),
        ("connect_error", "connect_error"),
        ("kaput", OTHER),
    ],
)
def test_statuses_come_from_a_closed_set(status: int | str, label: str) -> None:
    assert status_label(status) == label


def test_error_reasons_are_codes_of_our_error_classes() -> None:
    assert error_reason(QuotaExceededError.code) == "monthly_quota_exceeded"
    assert error_reason(TenantSuspendedError.code) == "tenant_suspended"
    assert error_reason(ClaimBusyError.code) == "claim_busy"
    assert error_reason("retries_exhausted") == "retries_exhausted"


@pytest.mark.parametrize(
    "foreign", ["ConnectionResetError", "KeyError", "meta_error 131047 for +972501234567", ""]
)
def test_anything_else_is_other(foreign: str) -> None:
    assert error_reason(foreign) == OTHER


def test_an_error_class_defined_later_is_found() -> None:
    class LateError(WagenError):
        code = "late_error_for_metrics_test"

    assert error_reason("late_error_for_metrics_test") == "late_error_for_metrics_test"
