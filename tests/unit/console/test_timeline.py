"""A journey's timeline from what wagen stored (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.console.timeline import correlation_ids, timeline
from pipeline.store.journey import Position, Step
from pipeline.store.journey_reads import Journey, JourneyStep, TrackedMessage

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MS = int(T0.timestamp() * 1000)


BASE = TrackedMessage(
    direction="inbound",
    wa_id="15550001",
    wa_message_id="wamid.A",
    genesys_message_id="g-1",
    status="sent",
    error=None,
    created_at=T0 + timedelta(seconds=2),
    updated_at=T0 + timedelta(seconds=9),
    claimed_until=None,
    sending_since=None,
    parts_sent=0,
)


def _tracked(**changes: Any) -> TrackedMessage:
    return replace(BASE, **changes)


def _step(step: Step, seconds: float, **detail: object) -> JourneyStep:
    return JourneyStep(
        direction="inbound",
        message_id="wamid.A",
        step=step,
        at=T0 + timedelta(seconds=seconds),
        correlation_id="req-1",
        position=Position("wa.events.retry" if step == "delivered" else "wa.events", 3, 7),
        attempt=2 if step == "delivered" else 1,
        detail={
            "receivedAtMs": MS,
            "webhook": {"topic": "wa.webhooks", "partition": 1, "offset": 5},
            "origin": {"topic": "wa.events", "partition": 3, "offset": 7},
            "splitAtMs": MS + 100,
            **detail,
        },
    )


def test_a_retried_delivery_reads_in_order_with_where_it_waited() -> None:
    journey = Journey(
        "wamid.A",
        (_tracked(),),
        (
            _step(
                "retry",
                3,
                to="wa.events.retry",
                code="genesys_unavailable",
                error="503",
                notBeforeMs=MS + 5000,
            ),
            _step(
                "delivered",
                8,
                to="genesys",
                genesysMessageId="g-1",
                genesysConversationId="c-1",
                claimedAtMs=MS + 7000,
                failures=[{"attempt": 1, "code": "genesys_unavailable"}],
            ),
        ),
    )
    moments = timeline(journey)
    assert [m.title for m in moments] == [
        "Meta's webhook received and stored",
        "Split into one event per message",
        "Claimed by a worker (first attempt)",
        "Attempt failed — waiting on wa.events.retry",
        "Delivered to Genesys",
    ]
    facts = dict(moments[0].facts)
    assert facts["Stored on Kafka"] == "wa.webhooks · partition 1 · offset 5"
    waiting = dict(moments[3].facts)
    assert waiting["Error"] == "genesys_unavailable: 503"
    assert waiting["Waits until"] == "2026-12-02 09:00:05.000 UTC"
    delivered = dict(moments[4].facts)
    assert delivered["Genesys message"] == "g-1"
    assert delivered["Read from"] == "wa.events.retry · partition 3 · offset 7"
    assert delivered["Earlier failed attempts"] == "1"
    assert [m.tone for m in moments][-2:] == ["wait", "ok"]
    assert correlation_ids(journey) == ["req-1"]


def test_a_message_carried_before_journeys_existed_still_shows_its_tracking() -> None:
    moments = timeline(Journey("wamid.A", (_tracked(),), ()))
    assert [m.title for m in moments] == [
        "Claimed by a worker (first attempt)",
        "Carried (sent; recorded before journeys were kept)",
    ]


def test_a_message_in_flight_and_in_doubt_says_so() -> None:
    row = _tracked(status="received", claimed_until=T0 + timedelta(minutes=2), sending_since=T0)
    [_, current] = timeline(Journey("wamid.A", (row,), ()))
    assert current.tone == "wait"
    assert "outcome of the last call unknown" in current.title


def test_an_agent_message_that_failed_shows_the_receipt_reason() -> None:
    row = _tracked(
        direction="outbound",
        status="failed",
        error={
            "error_code": "meta_window_closed",
            "error": "24h passed",
            "receipt_code": "MessageExpired",
        },
    )
    [_, failed] = timeline(Journey("g-1", (row,), ()))
    assert failed.tone == "fail"
    assert dict(failed.facts)["Receipt"] == "MessageExpired"
