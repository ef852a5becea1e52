"""Meta error classification: every documented code, the status fallback, receipt reasons.

The expectations below are written out from reference/meta-whatsapp.md §5 (and the sources'
§4 table) on purpose, rather than read from ``META_ERROR_CODES``: the test is a second,
independent transcription of the reference, so a slip in either one shows up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connectors.errors import ConnectorError, ErrorCategory
from connectors.genesys.errors import GenesysReceiptReason as Receipt
from connectors.meta.errors import (
    META_ERROR_CLASSES,
    META_ERROR_CODES,
    MetaCredentialsError,
    MetaError,
    MetaPermanentError,
    MetaRateLimitedError,
    MetaRetryableError,
    MetaWindowClosedError,
    classify_meta_error,
)
from tests.conftest import REPO_ROOT

REFERENCE = REPO_ROOT.parent / "shared" / "reference"

RETRY, RATE, WINDOW, CREDS, PERM = (
    ErrorCategory.RETRYABLE,
    ErrorCategory.RATE_LIMITED,
    ErrorCategory.WINDOW_CLOSED,
    ErrorCategory.CREDENTIALS_INVALID,
    ErrorCategory.PERMANENT,
)

EXPECTED: dict[int, tuple[ErrorCategory, Receipt]] = {
    131047: (WINDOW, Receipt.MESSAGE_EXPIRED),
    130429: (RATE, Receipt.RATE_LIMITED),
    131056: (RATE, Receipt.RATE_LIMITED),
    4: (RATE, Receipt.RATE_LIMITED),
    80007: (RATE, Receipt.RATE_LIMITED),
    131000: (RETRY, Receipt.SERVER_ERROR),
    1: (RETRY, Receipt.SERVER_ERROR),
    2: (RETRY, Receipt.SERVER_ERROR),
    131016: (RETRY, Receipt.SERVER_ERROR),
    133004: (RETRY, Receipt.SERVER_ERROR),
    131057: (RETRY, Receipt.SERVER_ERROR),
    131026: (PERM, Receipt.INVALID_DESTINATION),
    131021: (PERM, Receipt.INVALID_DESTINATION),
    131051: (PERM, Receipt.UNSUPPORTED_MESSAGE),
    131060: (PERM, Receipt.UNSUPPORTED_MESSAGE),
    100: (PERM, Receipt.INVALID_MESSAGE_STRUCTURE),
    131008: (PERM, Receipt.INVALID_MESSAGE_STRUCTURE),
    131009: (PERM, Receipt.INVALID_MESSAGE_STRUCTURE),
    131053: (PERM, Receipt.MEDIA_TYPE_NOT_ALLOWED),
    131052: (PERM, Receipt.INVALID_MEDIA_CONTENT_LENGTH),
    132000: (PERM, Receipt.INVALID_MESSAGE_STRUCTURE),
    132001: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    132005: (PERM, Receipt.INVALID_MESSAGE_STRUCTURE),
    132007: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    132012: (PERM, Receipt.INVALID_MESSAGE_STRUCTURE),
    132015: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    132016: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    132068: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    132069: (PERM, Receipt.RATE_LIMITED),
    131048: (PERM, Receipt.RATE_LIMITED),
    131049: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    131050: (PERM, Receipt.RECIPIENT_OPTED_OUT),
    130472: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    130403: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    368: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    131031: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    130497: (PERM, Receipt.MESSAGE_NOT_ALLOWED),
    131042: (PERM, Receipt.GENERAL_ERROR),
    131045: (PERM, Receipt.GENERAL_ERROR),
    131037: (PERM, Receipt.GENERAL_ERROR),
    190: (CREDS, Receipt.GENERAL_ERROR),
    0: (CREDS, Receipt.GENERAL_ERROR),
    3: (CREDS, Receipt.GENERAL_ERROR),
    10: (CREDS, Receipt.GENERAL_ERROR),
    131005: (CREDS, Receipt.GENERAL_ERROR),
    # "200-299: permissions" is a documented range.
    **{code: (CREDS, Receipt.GENERAL_ERROR) for code in range(200, 300)},
}

CATEGORY_CLASS: dict[ErrorCategory, type[MetaError]] = {
    RETRY: MetaRetryableError,
    RATE: MetaRateLimitedError,
    WINDOW: MetaWindowClosedError,
    CREDS: MetaCredentialsError,
    PERM: MetaPermanentError,
}

# reference/meta-whatsapp.md §5, the synchronous error example.
GRAPH_131047: dict[str, Any] = {
    "error": {
        "message": "(#131047) Re-engagement message",
        "type": "OAuthException",
        "code": 131047,
        "error_data": {
            "messaging_product": "whatsapp",
            "details": "Message failed to send because more than 24 hours have passed since "
            "the customer last replied to this number.",
        },
        "fbtrace_id": "AbCdEf123",
    }
}
# meta-whatsapp-sources.md §4, the error shape with the deprecated subcode.
GRAPH_130429: dict[str, Any] = {
    "error": {
        "message": "(#130429) Rate limit hit",
        "type": "OAuthException",
        "code": 130429,
        "error_data": {"messaging_product": "whatsapp", "details": "…"},
        "error_subcode": 2494055,
        "fbtrace_id": "AxYz",
    }
}


def graph_body(code: int) -> dict[str, Any]:
    return {
        "error": {
            "message": f"(#{code}) title",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": "details text"},
            "fbtrace_id": "trace-1",
        }
    }


def test_table_covers_exactly_the_documented_codes() -> None:
    assert set(META_ERROR_CODES) == set(EXPECTED)


@pytest.mark.parametrize(("code", "expected"), sorted(EXPECTED.items()), ids=str)
def test_every_code_classifies_by_code(code: int, expected: tuple[ErrorCategory, Receipt]) -> None:
    category, receipt = expected
    error = classify_meta_error(400, graph_body(code), tenant_id="acme")
    assert type(error) is CATEGORY_CLASS[category]
    assert error.category is category
    assert error.receipt_reason is receipt
    assert error.known_code
    assert error.vendor_code == code
    assert error.reason == META_ERROR_CODES[code].reason != ""
    assert error.retriable is (category in {RETRY, RATE})
    assert error.tenant_id == "acme"
    assert error.receipt_message.startswith(f"WhatsApp {code}: ")


@pytest.mark.parametrize("code", sorted(EXPECTED), ids=str)
def test_code_decides_whatever_the_status_and_in_webhooks(code: int) -> None:
    category = EXPECTED[code][0]
    assert classify_meta_error(500, graph_body(code)).category is category
    assert classify_meta_error(429, graph_body(code)).category is category
    webhook_item = {"code": code, "title": "t", "message": "m", "error_data": {"details": "d"}}
    from_webhook = classify_meta_error(None, webhook_item)
    assert from_webhook.category is category
    assert from_webhook.http_status is None


def test_genesys_reference_receipt_mapping_is_followed() -> None:
    """genesys-open-messaging.md §5 names these receipt codes; unknown codes are general."""
    named = {
        131047: Receipt.MESSAGE_EXPIRED,
        130429: Receipt.RATE_LIMITED,
        131056: Receipt.RATE_LIMITED,
        131026: Receipt.INVALID_DESTINATION,
        131051: Receipt.UNSUPPORTED_MESSAGE,
    }
    for code, receipt in named.items():
        assert classify_meta_error(400, graph_body(code)).receipt_reason is receipt
    assert classify_meta_error(400, graph_body(999_999)).receipt_reason is Receipt.GENERAL_ERROR


def test_reference_graph_error_keeps_every_fact() -> None:
    error = classify_meta_error(400, GRAPH_131047)
    assert isinstance(error, MetaWindowClosedError)
    assert error.vendor_code == 131047
    assert error.fbtrace_id == "AbCdEf123"
    assert error.http_status == 400
    assert error.error_type == "OAuthException"
    assert error.title == "(#131047) Re-engagement message"
    assert error.details is not None
    assert error.details.startswith("Message failed to send because more than 24 hours")
    assert error.error_subcode is None
    assert error.details in str(error)
    assert error.receipt_message.startswith("WhatsApp 131047: customer service window closed")


def test_subcode_is_kept_but_does_not_decide() -> None:
    error = classify_meta_error(400, GRAPH_130429)
    assert isinstance(error, MetaRateLimitedError)
    assert error.error_subcode == 2494055


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (500, RETRY),
        (502, RETRY),
        (503, RETRY),
        (599, RETRY),
        (429, RATE),
        (400, PERM),
        (401, PERM),
        (403, PERM),
        (404, PERM),
        (None, PERM),
    ],
)
def test_unknown_code_falls_back_by_status_and_says_so(
    status: int | None, category: ErrorCategory
) -> None:
    body = graph_body(999_999)
    body["error"]["error_data"]["details"] = "Meta's own words"
    error = classify_meta_error(status, body)
    assert type(error) is CATEGORY_CLASS[category]
    assert not error.known_code
    assert error.vendor_code == 999_999
    assert "code 999999 not in table" in error.reason
    assert ("no HTTP status" if status is None else f"HTTP {status}") in error.reason
    assert error.receipt_reason is Receipt.GENERAL_ERROR
    assert error.receipt_message == "WhatsApp 999999: Meta's own words"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502 Bad Gateway</html>",
        "not json",
        None,
        [],
        {"error": "flat string"},
        {"error": {"code": True}},
        {"error": {"code": "abc"}},
        {"error": {"code": None, "error_data": "not an object"}},
    ],
    ids=["html", "text", "none", "list", "flat", "bool-code", "word-code", "bad-data"],
)
def test_bodies_without_a_usable_code_are_classified_by_status(body: object) -> None:
    error = classify_meta_error(502, body)
    assert isinstance(error, MetaRetryableError)
    assert error.vendor_code is None
    assert not error.known_code
    assert "no error code" in error.reason
    assert error.receipt_message.startswith("WhatsApp unknown code: ")


@pytest.mark.parametrize(
    "body",
    [json.dumps(GRAPH_131047), json.dumps(GRAPH_131047).encode(), {"code": "131047"}],
    ids=["str", "bytes", "numeric-string-code"],
)
def test_raw_and_stringly_bodies_are_understood(body: object) -> None:
    assert isinstance(classify_meta_error(400, body), MetaWindowClosedError)


def _errors_in(node: object) -> Iterator[dict[str, Any]]:
    """Every item of every ``errors`` array anywhere in a webhook body."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, dict))
            else:
                yield from _errors_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _errors_in(item)


def test_every_error_in_the_recorded_webhooks_has_a_known_code() -> None:
    found = []
    for sample in sorted((REFERENCE / "meta" / "samples").glob("*.json")):
        for item in _errors_in(json.loads(sample.read_bytes())):
            error = classify_meta_error(None, item)
            assert error.known_code, (sample.name, item)
            found.append(error.vendor_code)
    # 131049, 130472 on failed statuses, 131051 on unsupported messages, 131000 value-level.
    assert {131049, 130472, 131051, 131000} <= set(found)


def test_failed_receipt_built_from_any_code_validates_against_genesys_schema() -> None:
    schema_path = REFERENCE / "genesys" / "schema" / "jsonschema" / "inbound-receipt.schema.json"
    validator = Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    for code in [*sorted(EXPECTED), 999_999]:
        error = classify_meta_error(400, graph_body(code))
        receipt = {
            "id": "8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
            "channel": {
                "to": {"id": "+15551234567", "idType": "Phone"},
                "time": "2025-03-14T09:31:05.000Z",
            },
            "status": "Failed",
            "isFinalReceipt": True,
            "reasons": [{"code": str(error.receipt_reason), "message": error.receipt_message}],
        }
        assert list(validator.iter_errors(receipt)) == [], code


def test_category_classes_are_declared_once_each() -> None:
    assert dict(META_ERROR_CLASSES) == CATEGORY_CLASS
    for category, error_class in META_ERROR_CLASSES.items():
        assert error_class.category is category
        assert issubclass(error_class, MetaError)
        assert issubclass(error_class, ConnectorError)
    assert len({cls.code for cls in META_ERROR_CLASSES.values()}) == len(META_ERROR_CLASSES)


def test_alerts_go_to_credentials_and_account_problems_not_to_transient_ones() -> None:
    for code, rule in META_ERROR_CODES.items():
        if rule.category is CREDS:
            assert rule.alert, code
        if rule.category in {RETRY, RATE, WINDOW}:
            assert not rule.alert, code
