"""Outbound rows of ``message_tracking``: one per (tenant, Genesys message id) of an agent's
message, the durable half of the outbound delivery claim.

The row is keyed by the Genesys id (unique index ``message_tracking_genesys_message_uq``)
because the wamid only exists once Meta accepted the send. Its life:

* ``received``, leased through ``claimed_until`` while a worker sends; ``parts_sent`` counts
  the WhatsApp messages already accepted, so a retry resumes after them;
* ``error`` set (still ``received``) once the message is known to have failed, before the
  Failed receipt goes out: a retry after a failed receipt call resends only the receipt;
* ``sent`` with the wamid of the last WhatsApp message, which the inbound status path looks
  up (:func:`pipeline.store.tracking.outbound`) to turn Meta's statuses into receipts; or
  ``failed`` once the Failed receipt was accepted.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from pipeline.store.tracking import REFUSAL_SELECT, ClaimRefusal, refusal
from tenancy.db.scope import Connection
from tenancy.db.statements import Statement


@dataclass(frozen=True)
class OutboundFailure:
    """Why an agent's message was not delivered, as stored in ``error``.

    Attributes:
        receipt_code: the Genesys receipt reason (``MessageExpired``...).
        receipt_message: the receipt's ``reasons[].message``.
        error_code: wagen's error code (``meta_window_closed``...).
        error: the failure in words, for operators.
        dead_letter: an operator should see it in the DLQ too (everything but a closed window).
    """

    receipt_code: str
    receipt_message: str
    error_code: str
    error: str
    dead_letter: bool

    @classmethod
    def from_json(cls, raw: object) -> OutboundFailure | None:
        """The stored failure, if the column holds one of ours."""
        data: Any = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


@dataclass(frozen=True)
class OutboundRow:
    """A claim just taken: how far an earlier attempt got."""

    parts_sent: int
    failure: OutboundFailure | None


def _row(record: Any) -> OutboundRow:
    return OutboundRow(
        parts_sent=int(record["parts_sent"]), failure=OutboundFailure.from_json(record["error"])
    )


async def claim(
    conn: Connection, tenant_id: str, genesys_message_id: str, wa_id: str, lease_s: float
) -> OutboundRow | ClaimRefusal:
    """Insert the row, or take over an unleased unfinished one, holding it for ``lease_s``."""
    inserted = await conn.fetchrow(
        "INSERT INTO message_tracking "
        "(tenant_id, direction, wa_id, genesys_message_id, status, claimed_until) "
        "VALUES ($1, 'outbound', $2, $3, 'received', now() + make_interval(secs => $4)) "
        "ON CONFLICT (tenant_id, direction, genesys_message_id) "
        "WHERE genesys_message_id IS NOT NULL DO NOTHING RETURNING parts_sent, error",
        tenant_id,
        wa_id,
        genesys_message_id,
        lease_s,
    )
    if inserted is not None:
        return _row(inserted)
    taken = await conn.fetchrow(
        "UPDATE message_tracking SET claimed_until = now() + make_interval(secs => $3), "
        "updated_at = now() "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2 "
        "AND status = 'received' AND (claimed_until IS NULL OR claimed_until < now()) "
        "RETURNING parts_sent, error",
        tenant_id,
        genesys_message_id,
        lease_s,
    )
    if taken is not None:
        return _row(taken)
    row = await conn.fetchrow(
        REFUSAL_SELECT
        + "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2",
        tenant_id,
        genesys_message_id,
    )
    return refusal(row)


async def part_sent(
    conn: Connection, tenant_id: str, genesys_message_id: str, parts_sent: int
) -> None:
    """Meta accepted one more WhatsApp message of a split agent message."""
    await conn.execute(
        "UPDATE message_tracking SET parts_sent = $3, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2",
        tenant_id,
        genesys_message_id,
        parts_sent,
    )


def sent(tenant_id: str, genesys_message_id: str, wamid: str | None, parts: int) -> Statement:
    """Recording that every part was accepted: the last part's wamid speaks for the whole."""
    return Statement(
        "UPDATE message_tracking SET status = 'sent', wa_message_id = $3, parts_sent = $4, "
        "claimed_until = NULL, error = NULL, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2",
        (tenant_id, genesys_message_id, wamid, parts),
    )


async def record_failure(
    conn: Connection, tenant_id: str, genesys_message_id: str, failure: OutboundFailure
) -> None:
    """Remember the failure before its receipt goes out (the row stays claimable)."""
    await conn.execute(
        "UPDATE message_tracking SET error = $3::jsonb, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2",
        tenant_id,
        genesys_message_id,
        json.dumps(asdict(failure)),
    )


async def mark_failed(conn: Connection, tenant_id: str, genesys_message_id: str) -> None:
    """The Failed receipt was accepted: the message is done."""
    await conn.execute(
        "UPDATE message_tracking SET status = 'failed', claimed_until = NULL, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2",
        tenant_id,
        genesys_message_id,
    )


async def release(conn: Connection, tenant_id: str, genesys_message_id: str) -> None:
    """Give up an unfinished claim so the next attempt need not wait for the lease."""
    await conn.execute(
        "UPDATE message_tracking SET claimed_until = NULL, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND genesys_message_id = $2 "
        "AND status = 'received'",
        tenant_id,
        genesys_message_id,
    )
