"""Genesys HTTP error classification, Retry-After parsing, contextId, receipt reason codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.errors import ConnectorError, ErrorCategory
from connectors.genesys.errors import (
    CORRELATION_HEADER,
    GENESYS_ERROR_CLASSES,
    GENESYS_STATUS_RULES,
    GenesysError,
    GenesysPermanentError,
    GenesysRateLimitedError,
    GenesysReceiptReason,
    GenesysRetryableError,
    GenesysTokenExpiredError,
    classify_genesys_error,
    parse_retry_after,
)
from tests.conftest import REPO_ROOT

REFERENCE = REPO_ROOT.parent / "shared" / "reference"
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)

# genesys-open-messaging.md §6: the error body shape, with an observed 400.
BAD_REQUEST = {
    "message": "The request could not be understood by the server due to malformed syntax.",
    "code": "bad.request",
    "status": 400,
    "contextId": "7a3b9c1d-0000-4000-8000-000000000001",
    "details": [],
    "errors": [],
}

# Status → (class, alert), written out from the reference §6 table.
EXPECTED: dict[int, tuple[type[GenesysError], bool]] = {
    400: (GenesysPermanentError, False),
    401: (GenesysTokenExpiredError, False),
    403: (GenesysPermanentError, True),
    404: (GenesysPermanentError, True),
    429: (GenesysRateLimitedError, False),
    501: (GenesysPermanentError, False),
}


def test_table_covers_exactly_the_documented_statuses() -> None:
    assert set(GENESYS_STATUS_RULES) == set(EXPECTED)


@pytest.mark.parametrize(("status", "expected"), sorted(EXPECTED.items()), ids=str)
def test_documented_statuses(status: int, expected: tuple[type[GenesysError], bool]) -> None:
    error_class, alert = expected
    error = classify_genesys_error(status, {"code": "x", "message": "m"}, tenant_id="acme")
    assert type(error) is error_class
    assert error.known_status
    assert error.alert is alert
    assert error.http_status == status
    assert error.reason == GENESYS_STATUS_RULES[status].reason != ""
    assert error.tenant_id == "acme"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_other_5xx_are_retryable_by_class(status: int) -> None:
    error = classify_genesys_error(status)
    assert isinstance(error, GenesysRetryableError)
    assert error.retriable
    assert not error.known_status
    assert error.reason.startswith(f"HTTP {status} not in table")


@pytest.mark.parametrize("status", [402, 405, 409, 413, 422])
def test_other_4xx_are_permanent_by_class(status: int) -> None:
    error = classify_genesys_error(status)
    assert isinstance(error, GenesysPermanentError)
    assert not error.retriable
    assert not error.known_status


@pytest.mark.parametrize("status", [200, 302, 600, 0])
def test_unexpected_statuses_are_permanent(status: int) -> None:
    error = classify_genesys_error(status)
    assert isinstance(error, GenesysPermanentError)
    assert "unexpected status" in error.reason


def test_retriable_flags_follow_the_categories() -> None:
    assert GenesysRetryableError.retriable
    assert GenesysRateLimitedError.retriable
    assert GenesysTokenExpiredError.retriable  # through one refresh, then once more
    assert not GenesysPermanentError.retriable
    assert GenesysTokenExpiredError.category is ErrorCategory.REFRESH_TOKEN


def test_classes_are_declared_once_per_category() -> None:
    for category, error_class in GENESYS_ERROR_CLASSES.items():
        assert error_class.category is category
        assert issubclass(error_class, ConnectorError)
    for rule in GENESYS_STATUS_RULES.values():
        assert rule.category in GENESYS_ERROR_CLASSES
    assert len({cls.code for cls in GENESYS_ERROR_CLASSES.values()}) == len(GENESYS_ERROR_CLASSES)


def test_reference_error_body_is_kept_with_its_context_id() -> None:
    error = classify_genesys_error(400, BAD_REQUEST)
    assert isinstance(error, GenesysPermanentError)
    assert error.genesys_code == "bad.request"
    assert error.context_id == BAD_REQUEST["contextId"]
    assert error.body == BAD_REQUEST
    assert "bad.request" in str(error)
    assert "malformed syntax" in str(error)


def test_raw_json_bytes_are_parsed() -> None:
    error = classify_genesys_error(400, json.dumps(BAD_REQUEST).encode())
    assert error.body == BAD_REQUEST
    assert error.context_id == BAD_REQUEST["contextId"]


def test_non_json_body_is_kept_as_text() -> None:
    error = classify_genesys_error(502, b"<html>Bad Gateway</html>")
    assert isinstance(error, GenesysRetryableError)
    assert error.body == "<html>Bad Gateway</html>"
    assert error.genesys_code is None
    assert "no code" in str(error)


def test_context_id_falls_back_to_the_correlation_header() -> None:
    error = classify_genesys_error(503, None, {"inin-correlation-id": "corr-42"})
    assert error.context_id == "corr-42"
    assert CORRELATION_HEADER == "ININ-Correlation-Id"


def test_body_context_id_wins_over_the_header() -> None:
    error = classify_genesys_error(400, BAD_REQUEST, {CORRELATION_HEADER: "corr-42"})
    assert error.context_id == BAD_REQUEST["contextId"]


def test_429_keeps_retry_after_seconds() -> None:
    error = classify_genesys_error(
        429,
        {"message": "Rate limit exceeded", "code": "too.many.requests", "status": 429},
        {"Retry-After": "17"},
    )
    assert isinstance(error, GenesysRateLimitedError)
    assert error.retry_after == 17.0


def test_429_retry_after_as_http_date() -> None:
    headers = {"retry-after": format_datetime(NOW + timedelta(seconds=45), usegmt=True)}
    error = classify_genesys_error(429, None, headers, now=NOW)
    assert error.retry_after == 45.0


def test_429_without_retry_after_has_no_hint() -> None:
    error = classify_genesys_error(429, None, {})
    assert isinstance(error, GenesysRateLimitedError)
    assert error.retry_after is None


def test_503_retry_after_is_kept_too() -> None:
    assert classify_genesys_error(503, None, {"Retry-After": "3"}).retry_after == 3.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Fri, 14 Mar 2025 09:30:30 GMT", 30.0),
        ("Friday, 14-Mar-25 09:31:00 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("Fri Mar 14 09:30:05 2025", 5.0),  # asctime, no zone: GMT
        ("Fri, 14 Mar 2025 09:00:00 GMT", 0.0),  # in the past: now
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("\u00b2", None),  # a Unicode digit is not a delay-seconds digit
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_defaults_to_the_real_clock() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None
    assert 3500 < seconds <= 3600


def test_receipt_reasons_are_exactly_the_schema_enum() -> None:
    schema_path = REFERENCE / "genesys" / "schema" / "jsonschema" / "inbound-receipt.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    codes = schema["$defs"]["ConversationReason"]["properties"]["code"]["enum"]
    assert [reason.value for reason in GenesysReceiptReason] == codes
    assert len(codes) == 13
