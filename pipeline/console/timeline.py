"""A message's journey as a timeline (pure: what wagen stored in, moments out).

The moments come from three places: the journey rows the worker wrote (deliveries, receipts,
failures, replays), the facts those rows carry from the record's headers (when the gateway
received the webhook, where it was stored on Kafka, when it was split), and the message's
``message_tracking`` row (its first claim, its status, a failure the agent was told about).
A message carried before journeys were kept shows what its tracking row knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pipeline.console.render import precise
from pipeline.store.journey_reads import Journey, JourneyStep, TrackedMessage

Tone = Literal["info", "ok", "wait", "fail"]


@dataclass(frozen=True)
class Moment:
    """One line of the timeline."""

    at: datetime | None
    title: str
    tone: Tone = "info"
    facts: tuple[tuple[str, str], ...] = field(default=())


def _ms(value: object) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if isinstance(value, int) else None


def _where(value: object) -> str | None:
    if not isinstance(value, dict):
        return None
    return (
        f"{value.get('topic')} · partition {value.get('partition')} · offset {value.get('offset')}"
    )


def _read_from(step: JourneyStep) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = []
    if step.position is not None:
        p = step.position
        facts.append(("Read from", f"{p.topic} · partition {p.partition} · offset {p.offset}"))
    if step.attempt:
        facts.append(("Attempt", str(step.attempt)))
    return tuple(facts)


def _arrival(journey: Journey, inbound: bool) -> list[Moment]:
    """Webhook received, stored, split: from the first step that knows."""
    # A receipt's facts are of Meta's status webhook, not of the message's own arrival.
    detail: dict[str, Any] = next(
        (s.detail for s in journey.steps if s.detail and s.step != "receipt"), {}
    )
    moments: list[Moment] = []
    received = _ms(detail.get("receivedAtMs"))
    stored = _where(detail.get("webhook") if inbound else detail.get("origin"))
    source = "Meta's webhook" if inbound else "Genesys's webhook (the agent's message)"
    if received is not None or stored is not None:
        facts = [("Stored on Kafka", stored)] if stored else []
        moments.append(Moment(received, f"{source} received and stored", "info", tuple(facts)))
    if inbound and (detail.get("splitAtMs") is not None or detail.get("origin")):
        origin = _where(detail.get("origin"))
        facts = [("Event on Kafka", origin)] if origin else []
        moments.append(
            Moment(
                _ms(detail.get("splitAtMs")),
                "Split into one event per message",
                "info",
                tuple(facts),
            )
        )
    return moments


def _failure(step: JourneyStep) -> Moment:
    d = step.detail
    facts = [("Error", f"{d.get('code', '?')}: {d.get('error', '')}"), *_read_from(step)]
    to = str(d.get("to", step.step))
    until = _ms(d.get("notBeforeMs"))
    if until is not None:
        facts.append(("Waits until", precise(until)))
    if d.get("event") == "status":
        facts.append(("Concerns", "a status of this message (its receipt)"))
    titles = {
        "retry": f"Attempt failed — waiting on {to}",
        "held": f"Held on {to} (the tenant cannot take it now)",
        "dlq": f"Dead-lettered to {to}",
    }
    tone: Tone = "wait" if step.step in ("retry", "held") else "fail"
    return Moment(step.at, titles[step.step], tone, tuple(facts))


def _step(step: JourneyStep) -> Moment | None:
    d = step.detail
    if step.step in ("retry", "held", "dlq"):
        return _failure(step)
    if step.step in ("replayed", "released"):
        verb = "Replayed" if step.step == "replayed" else "Released"
        where = f"{step.position.ref} → {d.get('to')}" if step.position else str(d.get("to"))
        return Moment(
            step.at, f"{verb} by an operator", "info", (("Entry", where), ("By", str(d.get("by"))))
        )
    if step.step == "receipt":
        status = str(d.get("status", "?"))
        facts = [("WhatsApp message", str(d.get("waMessageId"))), *_read_from(step)]
        if d.get("metaAt"):
            facts.append(("Meta's time", str(d["metaAt"]).replace("+00:00", " UTC")))
        tone: Tone = "fail" if status == "failed" else "ok"
        return Moment(
            step.at, f"Meta reported {status}: receipt sent to Genesys", tone, tuple(facts)
        )
    if step.step == "delivered":
        return _delivered(step)
    return None


def _delivered(step: JourneyStep) -> Moment:
    d = step.detail
    facts: list[tuple[str, str]] = []
    claimed = _ms(d.get("claimedAtMs"))
    if claimed is not None:
        facts.append(("Claimed at", precise(claimed)))
    if d.get("to") == "genesys":
        title = "Delivered to Genesys"
        facts += [
            ("Genesys message", str(d.get("genesysMessageId") or "—")),
            ("Genesys conversation", str(d.get("genesysConversationId") or "—")),
        ]
        if d.get("recovered"):
            title = "Found already delivered in Genesys (not sent again)"
    else:
        title = "Sent to WhatsApp (Meta)"
        facts += [
            ("WhatsApp message", str(d.get("waMessageId") or "—")),
            ("Parts", str(d.get("parts"))),
        ]
    failures = d.get("failures")
    if isinstance(failures, list) and failures:
        facts.append(("Earlier failed attempts", str(len(failures))))
    return Moment(step.at, title, "ok", (*facts, *_read_from(step)))


def _tracked(row: TrackedMessage, delivered: bool) -> list[Moment]:
    moments = [Moment(row.created_at, "Claimed by a worker (first attempt)", "info")]
    if row.status == "received" and row.claimed_until is not None:
        when = row.claimed_until.strftime("%H:%M:%S UTC")
        note = (
            " — outcome of the last call unknown, checked before any resend"
            if row.sending_since
            else ""
        )
        moments.append(
            Moment(row.updated_at, f"Being carried (claim held until {when}){note}", "wait")
        )
    elif row.status == "failed" and row.error:
        e = row.error
        facts = (
            ("Reason", f"{e.get('error_code', '?')}: {e.get('error', '')}"),
            ("Receipt", str(e.get("receipt_code"))),
        )
        moments.append(
            Moment(row.updated_at, "Failed: the agent was sent a Failed receipt", "fail", facts)
        )
    elif row.status in ("sent", "delivered", "read") and not delivered:
        moments.append(
            Moment(
                row.updated_at, f"Carried ({row.status}; recorded before journeys were kept)", "ok"
            )
        )
    return moments


def timeline(journey: Journey) -> list[Moment]:
    """The moments of ``journey`` in time order (an undated one first)."""
    inbound = any(
        t.direction == "inbound" and t.wa_message_id == journey.message_id for t in journey.tracked
    )
    inbound = inbound or any(s.direction == "inbound" for s in journey.steps)
    moments = _arrival(journey, inbound)
    delivered = any(s.step == "delivered" for s in journey.steps)
    for row in journey.tracked:
        moments += _tracked(row, delivered)
    moments += [m for m in (_step(s) for s in journey.steps) if m is not None]
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(moments, key=lambda m: m.at or floor)


def correlation_ids(journey: Journey) -> list[str]:
    """Every correlation id the steps carry (one per webhook request involved)."""
    return sorted({s.correlation_id for s in journey.steps if s.correlation_id})
