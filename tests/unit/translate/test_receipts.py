"""Meta statuses -> Genesys receipts: one row per status and per failure code family."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.translate import GenesysEndpoint, event_to_genesys, referenced_wamids
from connectors.translate.receipts import NO_ERROR_REASON
from tests.unit.schemas.bodies import CUSTOMER, webhook_body, webhook_value
from tests.unit.translate.support import (
    INTEGRATION,
    assert_genesys_valid,
    events_of,
    genesys_target,
    status_event,
    wire,
)

TRACKED = {"wamid.OUT1": "8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b"}


def status(kind: str, **extra: Any) -> dict[str, Any]:
    """A status of our message wamid.OUT1 to the customer, shaped like reference 2.3."""
    return {
        "id": "wamid.OUT1",
        "status": kind,
        "timestamp": "1760001000",
        "recipient_id": CUSTOMER,
        **extra,
    }


def error(code: int, details: str = "details from Meta") -> dict[str, Any]:
    """A ``statuses[].errors[]`` item."""
    return {"code": code, "title": "t", "message": "t", "error_data": {"details": details}}


def test_delivered_is_a_final_delivered_receipt_for_the_genesys_message() -> None:
    (call,) = event_to_genesys(status_event(status("delivered")), genesys_target(TRACKED))
    assert call.endpoint is GenesysEndpoint.RECEIPT
    assert call.path == f"/api/v2/conversations/messages/{INTEGRATION}/inbound/open/receipt"
    assert wire(call) == {
        "id": "8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b",
        "channel": {
            "to": {"id": f"+{CUSTOMER}", "idType": "Phone"},
            "time": "2025-10-09T09:10:00.000Z",
        },
        "status": "Delivered",
        "isFinalReceipt": True,
    }
    assert_genesys_valid(call)


FAILURES: dict[str, tuple[list[dict[str, Any]], list[tuple[str, str]]]] = {
    "window-closed": (
        [error(131047)],
        [("MessageExpired", "WhatsApp 131047: customer service window closed")],
    ),
    "throughput": ([error(130429)], [("RateLimited", "WhatsApp 130429: throughput")]),
    "pair-rate": ([error(131056)], [("RateLimited", "WhatsApp 131056: pair rate limit")]),
    "undeliverable": ([error(131026)], [("InvalidDestination", "WhatsApp 131026: undeliverable")]),
    "unsupported": ([error(131051)], [("UnsupportedMessage", "WhatsApp 131051: unsupported")]),
    "opted-out": ([error(131050)], [("RecipientOptedOut", "WhatsApp 131050: customer stopped")]),
    "media": ([error(131053)], [("MediaTypeNotAllowed", "WhatsApp 131053: media upload")]),
    "experiment": ([error(130472)], [("MessageNotAllowed", "WhatsApp 130472: customer is part")]),
    "meta-side": ([error(131000)], [("ServerError", "WhatsApp 131000: something went wrong")]),
    "unknown-code": ([error(999999, "new")], [("GeneralError", "WhatsApp 999999: new")]),
    "two-errors": (
        [error(131047), error(131026)],
        [("MessageExpired", "WhatsApp 131047"), ("InvalidDestination", "WhatsApp 131026")],
    ),
    "no-error-object": ([], [("GeneralError", NO_ERROR_REASON)]),
}


@pytest.mark.parametrize("name", FAILURES)
def test_failed_is_a_failed_receipt_with_the_mapped_reason(name: str) -> None:
    errors, expected = FAILURES[name]
    raw = status("failed", errors=errors) if errors else status("failed")
    (call,) = event_to_genesys(status_event(raw), genesys_target(TRACKED))
    body = wire(call)
    assert (body["status"], body["isFinalReceipt"]) == ("Failed", True)
    reasons = [(reason["code"], reason["message"]) for reason in body["reasons"]]
    assert len(reasons) == len(expected)
    for (code, message), (want_code, want_start) in zip(reasons, expected, strict=True):
        assert code == want_code
        assert message.startswith(want_start)
    assert_genesys_valid(call)


@pytest.mark.parametrize("kind", ["sent", "read", "played", "deleted"])
def test_statuses_genesys_has_no_receipt_for_yield_nothing(kind: str) -> None:
    assert event_to_genesys(status_event(status(kind)), genesys_target(TRACKED)) == []


@pytest.mark.parametrize("kind", ["delivered", "failed"])
def test_a_status_of_a_message_tracking_does_not_know_yields_nothing(kind: str) -> None:
    raw = status(kind, errors=[error(131047)]) if kind == "failed" else status(kind)
    assert event_to_genesys(status_event(raw), genesys_target({"wamid.OTHER": "g"})) == []


def test_a_recipient_known_only_by_user_id_is_opaque() -> None:
    raw = status("delivered")
    del raw["recipient_id"]
    raw["recipient_user_id"] = "US.1349120865"
    (call,) = event_to_genesys(status_event(raw), genesys_target(TRACKED))
    assert wire(call)["channel"]["to"] == {"id": "US.1349120865", "idType": "Opaque"}
    assert_genesys_valid(call)


def test_statuses_of_one_batch_each_get_their_receipt() -> None:
    value = webhook_value(
        statuses=[
            status("sent"),
            status("delivered"),
            {**status("failed", errors=[error(131047)]), "id": "wamid.OUT2"},
        ]
    )
    events = events_of(webhook_body(value))
    target = genesys_target({**TRACKED, "wamid.OUT2": "g-2"})
    calls = [call for event in events for call in event_to_genesys(event, target)]
    assert [(wire(c)["id"], wire(c)["status"]) for c in calls] == [
        ("8c1a3f0e7b2d4e6f9a1b2c3d4e5f6a7b", "Delivered"),
        ("g-2", "Failed"),
    ]
    assert [referenced_wamids(event) for event in events] == [
        {"wamid.OUT1"},
        {"wamid.OUT1"},
        {"wamid.OUT2"},
    ]
