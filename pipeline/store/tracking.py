"""``message_tracking``: one row per (tenant, direction, WhatsApp message id).

For inbound messages the row is the durable half of the delivery claim (see
:mod:`pipeline.store.claims`): inserted when a worker first takes the message, leased through
``claimed_until`` while the Genesys call is in flight, and moved to ``sent`` with the Genesys
message id once Genesys accepted it. Outbound rows (agent messages sent to WhatsApp) give a
status its Genesys message id for the receipt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import asyncpg

from tenancy.db.scope import Connection
from tenancy.db.statements import Statement

Direction = Literal["inbound", "outbound", "echo", "call", "callback"]
"""What a row tracks: a customer message carried to Genesys (``inbound``), an agent message
carried to WhatsApp (``outbound``), and, claimed the same way, an echo of the business's own
send, the notice of a customer's call attempt and the callback created for it."""

DONE_STATUSES: Final = frozenset({"sent", "delivered", "read", "failed"})
"""Statuses of a row whose message has been carried: a claim on it is a duplicate."""


@dataclass(frozen=True)
class ClaimRow:
    """A claim just taken on a row.

    Attributes:
        quota_counted: the plan quota was already charged for the message.
        doubt_age_s: set when an earlier holder may have had the message accepted by
            Genesys without recording it (it died, or its call got no answer): seconds
            since that holder's claim or since it gave up on the call. ``None``: not in doubt.
    """

    quota_counted: bool
    doubt_age_s: float | None = None


@dataclass(frozen=True)
class ClaimRefusal:
    """Why a claim was not taken: the message was carried, or someone holds it."""

    status: str
    lease_left_s: float

    @property
    def done(self) -> bool:
        """The message was carried already: this is a duplicate."""
        return self.status in DONE_STATUSES


async def claim(
    conn: Connection,
    tenant_id: str,
    direction: Direction,
    wa_message_id: str,
    wa_id: str,
    lease_s: float,
) -> ClaimRow | ClaimRefusal:
    """Insert the row, or take over an unleased unfinished one, holding it for ``lease_s``.

    The row is marked ``sending_since`` from here on: the holder's vendor call may start at
    any moment, and only a known outcome clears the mark (:func:`sent`,
    :func:`release` with ``answered``).
    """
    inserted = await conn.fetchrow(
        "INSERT INTO message_tracking "
        "(tenant_id, direction, wa_id, wa_message_id, status, claimed_until, sending_since) "
        "VALUES ($1, $2, $3, $4, 'received', now() + make_interval(secs => $5), now()) "
        "ON CONFLICT (tenant_id, direction, wa_message_id) WHERE wa_message_id IS NOT NULL "
        "DO NOTHING RETURNING quota_counted",
        tenant_id,
        direction,
        wa_id,
        wa_message_id,
        lease_s,
    )
    if inserted is not None:
        return ClaimRow(quota_counted=bool(inserted["quota_counted"]))
    # The row's previous sending_since is read under the row lock the UPDATE takes.
    taken = await conn.fetchrow(
        "WITH previous AS (SELECT tracking_id, sending_since FROM message_tracking "
        "WHERE tenant_id = $1 AND direction = $2 AND wa_message_id = $3 "
        "AND status = 'received' AND (claimed_until IS NULL OR claimed_until < now()) "
        "FOR UPDATE) "
        "UPDATE message_tracking t SET claimed_until = now() + make_interval(secs => $4), "
        "sending_since = coalesce(previous.sending_since, now()), updated_at = now() "
        "FROM previous WHERE t.tenant_id = $1 AND t.tracking_id = previous.tracking_id "
        "RETURNING t.quota_counted, "
        "extract(epoch FROM now() - previous.sending_since)::float8 AS doubt_age_s",
        tenant_id,
        direction,
        wa_message_id,
        lease_s,
    )
    if taken is not None:
        return ClaimRow(
            quota_counted=bool(taken["quota_counted"]), doubt_age_s=taken["doubt_age_s"]
        )
    row = await conn.fetchrow(
        REFUSAL_SELECT + "WHERE tenant_id = $1 AND direction = $2 AND wa_message_id = $3",
        tenant_id,
        direction,
        wa_message_id,
    )
    return refusal(row)


REFUSAL_SELECT: Final = (
    "SELECT status, greatest(0, extract(epoch FROM claimed_until - now()))::float8 AS left_s "
    "FROM message_tracking "
)
"""Reads why a claim was refused; the caller adds the ``WHERE`` naming its row."""


def refusal(row: asyncpg.Record | None) -> ClaimRefusal:
    """The refusal a :data:`REFUSAL_SELECT` row means."""
    if row is None:  # deleted between the statements (tenant purge): nothing to carry
        return ClaimRefusal(status="failed", lease_left_s=0.0)
    return ClaimRefusal(status=str(row["status"]), lease_left_s=float(row["left_s"] or 0.0))


def quota_counted(tenant_id: str, direction: Direction, wa_message_id: str) -> Statement:
    """Remembering that the plan quota was charged for this message."""
    return Statement(
        "UPDATE message_tracking SET quota_counted = true, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = $2 AND wa_message_id = $3",
        (tenant_id, direction, wa_message_id),
    )


async def release(
    conn: Connection,
    tenant_id: str,
    direction: Direction,
    wa_message_id: str,
    *,
    answered: bool = True,
) -> None:
    """Give up an unfinished claim so the next attempt need not wait for the lease.

    ``answered``: the vendor answered (or was never called), so nothing was accepted and the
    in-doubt mark goes; ``False`` after a call whose outcome is unknown: the mark is reset
    to now, so the next holder lets the vendor settle before asking it.
    """
    await conn.execute(
        "UPDATE message_tracking SET claimed_until = NULL, updated_at = now(), "
        "sending_since = CASE WHEN $4 THEN NULL ELSE now() END "
        "WHERE tenant_id = $1 AND direction = $2 AND wa_message_id = $3 AND status = 'received'",
        tenant_id,
        direction,
        wa_message_id,
        answered,
    )


def sent(
    tenant_id: str, direction: Direction, wa_message_id: str, genesys_message_id: str | None
) -> Statement:
    """Recording that the message was carried: its Genesys id, the lease ended."""
    return Statement(
        "UPDATE message_tracking SET status = 'sent', genesys_message_id = $4, "
        "claimed_until = NULL, sending_since = NULL, error = NULL, updated_at = now() "
        "WHERE tenant_id = $1 AND direction = $2 AND wa_message_id = $3",
        (tenant_id, direction, wa_message_id, genesys_message_id),
    )


async def genesys_ids(
    conn: Connection, tenant_id: str, wa_message_ids: Iterable[str]
) -> dict[str, str]:
    """Genesys message id per wamid *we* sent for Genesys (outbound rows that have one)."""
    wanted = sorted(set(wa_message_ids))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT wa_message_id, genesys_message_id FROM message_tracking "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND wa_message_id = ANY($2::text[]) "
        "AND genesys_message_id IS NOT NULL",
        tenant_id,
        wanted,
    )
    return {str(r["wa_message_id"]): str(r["genesys_message_id"]) for r in rows}


@dataclass(frozen=True)
class OutboundRow:
    """An agent message we sent to WhatsApp: its Genesys id, how far it got, and the
    customer's key it was sent to (the receipt goes to the same Genesys customer)."""

    genesys_message_id: str | None
    status: str
    customer: str | None = None


async def outbound(conn: Connection, tenant_id: str, wa_message_id: str) -> OutboundRow | None:
    """The outbound row of a wamid, if we sent it."""
    row = await conn.fetchrow(
        "SELECT genesys_message_id, status, wa_id FROM message_tracking "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND wa_message_id = $2",
        tenant_id,
        wa_message_id,
    )
    if row is None:
        return None
    return OutboundRow(
        genesys_message_id=row["genesys_message_id"],
        status=str(row["status"]),
        customer=row["wa_id"],
    )


def outbound_status(
    tenant_id: str, wa_message_id: str, status: Literal["delivered", "failed"], at: datetime
) -> Statement:
    """Recording the receipt just sent for an outbound message."""
    return Statement(
        "UPDATE message_tracking SET status = $3, updated_at = greatest(updated_at, $4) "
        "WHERE tenant_id = $1 AND direction = 'outbound' AND wa_message_id = $2",
        (tenant_id, wa_message_id, status, at),
    )
