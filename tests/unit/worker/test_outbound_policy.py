"""The outbound direction's pure decisions: the window, what a failure becomes, send steps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.errors import ConnectorTransportError
from connectors.meta.errors import MetaWindowClosedError, classify_meta_error
from connectors.translate import GenesysPayloadError, MetaTarget, outbound_to_meta, parse_outbound
from pipeline.kafka.retry import BackoffPolicy
from pipeline.store.outbound import OutboundFailure
from pipeline.worker.errors import CredentialsMissingError
from pipeline.worker.outbound import customer_wa_id, steps
from pipeline.worker.outbound_policy import (
    failed_receipt,
    final_failure,
    outcome_unknown,
    window_closed,
    window_open,
)

POLICY = BackoffPolicy(attempts=3, base_delay_s=1.0, max_delay_s=30.0)
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def meta_error(status: int, code: int, retry_after: float | None = None) -> Exception:
    body = {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code}}
    return classify_meta_error(status, json.dumps(body), retry_after=retry_after, tenant_id="t")


def transport(operation: str, *, maybe_sent: bool) -> ConnectorTransportError:
    return ConnectorTransportError(
        "timed out",
        vendor="meta",
        operation=operation,
        timed_out=True,
        maybe_sent=maybe_sent,
        request_id="r",
    )


@pytest.mark.parametrize(
    ("age", "open_"),
    [
        (None, False),
        (timedelta(seconds=1), True),
        (timedelta(hours=23, minutes=59), True),
        (timedelta(hours=24), False),
        (timedelta(days=3), False),
    ],
)
def test_the_window_is_open_for_24_hours_after_the_customer_wrote(
    age: timedelta | None, open_: bool
) -> None:
    last = None if age is None else NOW - age
    assert window_open(last, NOW) is open_


def test_our_closed_window_check_reports_what_metas_131047_does() -> None:
    ours = final_failure(window_closed("t", NOW - timedelta(days=2)), 1, POLICY)
    metas = final_failure(meta_error(400, 131047), 1, POLICY)
    assert ours is not None
    assert metas is not None
    assert (ours.receipt_code, ours.receipt_message) == (metas.receipt_code, metas.receipt_message)
    assert ours.receipt_code == "MessageExpired"
    assert ours.receipt_message.startswith("WhatsApp 131047: customer service window closed")
    # Ordinary business, not a fault: the agent is told, no operator needs a DLQ entry.
    assert not ours.dead_letter
    assert not metas.dead_letter
    assert isinstance(window_closed("t", None), MetaWindowClosedError)


@pytest.mark.parametrize(
    ("error", "receipt"),
    [
        (meta_error(400, 131026), "InvalidDestination"),
        (meta_error(400, 131053), "MediaTypeNotAllowed"),
        (meta_error(401, 190), "GeneralError"),
        (GenesysPayloadError("channel.to.id", "not a phone number"), "InvalidDestination"),
        (GenesysPayloadError("content[0].attachment.url", "missing"), "InvalidMessageStructure"),
    ],
    ids=["undeliverable", "media-type", "token", "not-a-phone", "no-url"],
)
def test_permanent_failures_become_failed_receipts_and_dlq_entries(
    error: Exception, receipt: str
) -> None:
    failure = final_failure(error, 1, POLICY)
    assert failure is not None
    assert failure.receipt_code == receipt
    assert failure.dead_letter


@pytest.mark.parametrize(
    ("error", "receipt"),
    [
        (meta_error(429, 130429, retry_after=2), "RateLimited"),
        (meta_error(400, 80007), "RateLimited"),
        (meta_error(503, 131000), "ServerError"),
        (transport("media_upload", maybe_sent=True), "GeneralError"),
        (transport("send", maybe_sent=False), "GeneralError"),
    ],
    ids=["130429", "80007", "5xx", "upload-timeout", "send-not-sent"],
)
def test_retryable_failures_are_not_final_until_the_retries_are_spent(
    error: Exception, receipt: str
) -> None:
    assert final_failure(error, 1, POLICY) is None
    failure = final_failure(error, POLICY.attempts, POLICY)
    assert failure is not None
    assert (failure.receipt_code, failure.error_code) == (receipt, "retries_exhausted")
    assert failure.dead_letter


def test_a_send_that_may_have_reached_meta_is_neither_retried_nor_reported() -> None:
    error = transport("send", maybe_sent=True)
    assert outcome_unknown(error)
    assert final_failure(error, 1, POLICY) is None
    assert not outcome_unknown(transport("media_upload", maybe_sent=True))


def test_missing_credentials_are_held_not_reported() -> None:
    assert final_failure(CredentialsMissingError("no meta credentials"), 1, POLICY) is None


def test_the_failed_receipt_names_the_genesys_message_and_the_customer() -> None:
    failure = OutboundFailure("MessageExpired", "WhatsApp 131047: closed", "x", "x", False)
    body = failed_receipt("gmsg-1", "972987654321", failure, NOW)
    wire = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert wire == {
        "id": "gmsg-1",
        "channel": {
            "to": {"id": "+972987654321", "idType": "Phone"},
            "time": "2025-03-14T09:30:00.000Z",
        },
        "status": "Failed",
        "reasons": [{"code": "MessageExpired", "message": "WhatsApp 131047: closed"}],
        "isFinalReceipt": True,
    }


def _webhook(**extra: Any) -> dict[str, Any]:
    return {
        "id": "gmsg-2",
        "channel": {
            "id": "integration-1",
            "platform": "Open",
            "type": "Private",
            "to": {"id": "+972987654321", "idType": "Phone"},
            "from": {"id": "integration-1", "idType": "Opaque", "nickname": "Bridge"},
            "time": "2025-03-14T09:31:02.000Z",
            "messageId": "gmsg-2",
        },
        "type": "Text",
        "direction": "Outbound",
        **extra,
    }


def test_an_upload_travels_with_the_send_that_needs_its_id() -> None:
    attachment = {"mediaType": "Image", "url": "https://files/x.png", "mime": "image/png"}
    body = _webhook(
        text="x" * 5000,  # too long for a caption: sent as text after the image
        content=[{"contentType": "Attachment", "attachment": attachment}],
    )
    calls = outbound_to_meta(parse_outbound(body), MetaTarget("1122"))
    grouped = steps(calls)
    assert [(u is not None, s.as_json()["body"]["type"]) for u, s in grouped] == [
        (True, "image"),
        (False, "text"),
        (False, "text"),
    ]
    assert grouped[0][1].needs_media_id


def test_genesys_customer_ids_become_wa_ids() -> None:
    assert customer_wa_id("+972987654321") == "972987654321"
    assert customer_wa_id("US.13491208655302741918") == "US.13491208655302741918"
