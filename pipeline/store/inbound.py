"""The inbound claims and delivery records, a batch at a time (group commit).

A customer message needs three writes around its Genesys call: the claim (with the
customer's stable key and the quota charge), and afterwards the record of the delivery
(tracking, conversation mapping, usage) — or the release of the claim after a failure. Each
kind is a :class:`~pipeline.store.group_commit.GroupCommit`: the operations of concurrent
messages, of any tenants, go as one statement per flush, inside a
:func:`~tenancy.db.scope.batch_tx` naming exactly the batch's tenants (row-level security
refuses every other tenant's rows). The claim's rules live in ``wagen_claim_inbound``
(migration 0015), so workers racing for a message agree without a lock of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import asyncpg

from pipeline.store.group_commit import GroupCommit
from schemas.events import CustomerIds
from tenancy.db.scope import batch_tx

Outcome = Literal["claimed", "duplicate", "busy", "over_quota"]


@dataclass(frozen=True)
class IdChange:
    """A ``system`` message moving the customer to a new number and/or BSUID."""

    new_wa_id: str | None
    new_user_id: str | None


@dataclass(frozen=True)
class ClaimRequest:
    """One message to claim.

    Attributes:
        fallback_customer: the key to track it under when it names no id at all.
        quota_limit: the plan's monthly limit (``None``: unlimited, still counted).
        charge: charge the quota (unless an earlier attempt did).
    """

    tenant_id: str
    message_id: str
    fallback_customer: str
    ids: CustomerIds
    change: IdChange | None = None
    quota_limit: int | None = None
    charge: bool = True


@dataclass(frozen=True)
class InboundClaim:
    """What the claim of one message found.

    Attributes:
        outcome: ``claimed`` (ours), ``duplicate`` (carried already), ``busy`` (a live
            worker holds it) or ``over_quota`` (not claimed, nothing charged).
        customer: the customer's stable key.
        quota_counted: the message is charged to the plan.
        doubt_age_s: for a claim taken over, seconds since an earlier holder may have had
            Genesys accept it (ask Genesys before sending); ``None`` when no doubt.
        left_s: for ``busy``, seconds until the holder's lease ends.
    """

    tenant_id: str
    message_id: str
    outcome: Outcome
    customer: str
    quota_counted: bool
    doubt_age_s: float | None
    left_s: float


@dataclass(frozen=True)
class Delivered:
    """The record of one message Genesys accepted."""

    tenant_id: str
    message_id: str
    customer: str
    genesys_message_id: str | None
    phone_number_id: str
    contact_name: str | None
    message_at: datetime
    genesys_conversation_id: str | None


@dataclass(frozen=True)
class Release:
    """Give a claim up after a failure (``answered``: Genesys accepted nothing)."""

    tenant_id: str
    message_id: str
    answered: bool


_CLAIM_SQL: Final = (
    "SELECT * FROM wagen_claim_inbound($1, $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], "
    "$12::boolean[], $13::bigint[], $14::boolean[])"
)

_DELIVERED_SQL: Final = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::timestamptz[], $8::text[])
        AS i(tenant_id, message_id, customer, genesys_id, number, name, at, conversation)
), done AS (
    UPDATE message_tracking t
       SET status = 'sent', genesys_message_id = i.genesys_id, claimed_by = NULL,
           claimed_until = NULL, sending_since = NULL, error = NULL, updated_at = now()
      FROM input i
     WHERE t.tenant_id = i.tenant_id AND t.direction = 'inbound'
       AND t.wa_message_id = i.message_id
), latest AS (
    SELECT DISTINCT ON (tenant_id, customer) * FROM input ORDER BY tenant_id, customer, at DESC
), mapped AS (
    INSERT INTO conversation_mappings AS m (tenant_id, wa_id, phone_number_id, contact_name,
                                            last_message_at, genesys_conversation_id)
    SELECT tenant_id, customer, number, name, at, conversation FROM latest
    ON CONFLICT (tenant_id, wa_id) DO UPDATE SET
        phone_number_id = EXCLUDED.phone_number_id,
        contact_name = coalesce(EXCLUDED.contact_name, m.contact_name),
        genesys_conversation_id = coalesce(EXCLUDED.genesys_conversation_id,
                                           m.genesys_conversation_id),
        last_message_at = greatest(m.last_message_at, EXCLUDED.last_message_at),
        updated_at = now()
), counted AS (
    INSERT INTO usage_daily AS u (tenant_id, day, metric, value)
    SELECT tenant_id, (now() AT TIME ZONE 'UTC')::date, 'messages_in', count(*)
      FROM input GROUP BY tenant_id
    ON CONFLICT (tenant_id, day, metric)
    DO UPDATE SET value = u.value + EXCLUDED.value, updated_at = now()
)
SELECT count(*) FROM input
"""

_RELEASE_SQL: Final = """
UPDATE message_tracking t
   SET claimed_by = NULL, claimed_until = NULL, updated_at = now(),
       sending_since = CASE WHEN i.answered THEN NULL ELSE now() END
  FROM unnest($1::text[], $2::text[], $3::boolean[]) AS i(tenant_id, message_id, answered)
 WHERE t.tenant_id = i.tenant_id AND t.direction = 'inbound'
   AND t.wa_message_id = i.message_id AND t.status = 'received' AND t.claimed_by = $4
"""


class InboundStore:
    """Claims, delivery records and releases of inbound messages, each a group commit.

    Args:
        pool: the PostgreSQL pool.
        worker_id: this worker's lease (its claims name it).
        max_batch: operations per flush at most.
        max_wait_s: how long a lone operation waits for company.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        worker_id: object,
        *,
        max_batch: int = 256,
        max_wait_s: float = 0.002,
    ) -> None:
        self._pool = pool
        self._worker_id = worker_id
        self.claims: GroupCommit[ClaimRequest, InboundClaim] = GroupCommit(
            self._claim_batch, max_size=max_batch, max_wait_s=max_wait_s, name="inbound-claims"
        )
        self.deliveries: GroupCommit[Delivered, None] = GroupCommit(
            self._delivered_batch, max_size=max_batch, max_wait_s=max_wait_s, name="delivered"
        )
        self.releases: GroupCommit[Release, None] = GroupCommit(
            self._release_batch, max_size=max_batch, max_wait_s=max_wait_s, name="releases"
        )

    async def claim(self, request: ClaimRequest) -> InboundClaim:
        """Claim one message (joins the next flush)."""
        return await self.claims.submit(request)

    async def delivered(self, record: Delivered) -> None:
        """Record one delivery (joins the next flush)."""
        await self.deliveries.submit(record)

    async def release(self, release: Release) -> None:
        """Give one claim up (joins the next flush)."""
        await self.releases.submit(release)

    async def close(self) -> None:
        """Flush what waits and stop."""
        for commit in (self.claims, self.deliveries, self.releases):
            await commit.close()

    async def _claim_batch(self, requests: Sequence[ClaimRequest]) -> list[InboundClaim]:
        # One message twice in a batch (a replay racing its original): the second sees the
        # first's claim, by this worker, and comes back busy — as across workers.
        order = sorted(range(len(requests)), key=lambda n: _lock_order(requests[n]))
        ordered = [requests[n] for n in order]
        columns = _claim_columns(ordered)
        async with batch_tx(self._pool, {r.tenant_id for r in ordered}) as conn:
            rows = await conn.fetch(_CLAIM_SQL, self._worker_id, *columns)
        found: dict[int, InboundClaim] = {}
        for n, request, row in zip(order, ordered, rows, strict=True):
            found[n] = InboundClaim(
                tenant_id=request.tenant_id,
                message_id=request.message_id,
                outcome=row["outcome"],
                customer=row["customer"],
                quota_counted=bool(row["quota_counted"]),
                doubt_age_s=row["doubt_age_s"],
                left_s=float(row["left_s"] or 0.0),
            )
        return [found[n] for n in range(len(requests))]

    async def _delivered_batch(self, records: Sequence[Delivered]) -> list[None]:
        columns = (
            [r.tenant_id for r in records],
            [r.message_id for r in records],
            [r.customer for r in records],
            [r.genesys_message_id for r in records],
            [r.phone_number_id for r in records],
            [r.contact_name for r in records],
            [r.message_at for r in records],
            [r.genesys_conversation_id for r in records],
        )
        async with batch_tx(self._pool, {r.tenant_id for r in records}) as conn:
            await conn.fetchval(_DELIVERED_SQL, *columns)
        return [None] * len(records)

    async def _release_batch(self, releases: Sequence[Release]) -> list[None]:
        columns = (
            [r.tenant_id for r in releases],
            [r.message_id for r in releases],
            [r.answered for r in releases],
        )
        async with batch_tx(self._pool, {r.tenant_id for r in releases}) as conn:
            await conn.execute(_RELEASE_SQL, *columns, self._worker_id)
        return [None] * len(releases)


def _lock_order(request: ClaimRequest) -> tuple[str, str]:
    # Two batches that lock the same rows lock them in the same order: no deadlock.
    return request.tenant_id, request.message_id


def _claim_columns(requests: Sequence[ClaimRequest]) -> tuple[list[object], ...]:
    return (
        [r.tenant_id for r in requests],
        [r.message_id for r in requests],
        [r.fallback_customer for r in requests],
        [r.ids.wa_id for r in requests],
        [r.ids.user_id for r in requests],
        [r.ids.parent_user_id for r in requests],
        [r.ids.username for r in requests],
        [r.ids.group_id for r in requests],
        [r.change.new_wa_id if r.change else None for r in requests],
        [r.change.new_user_id if r.change else None for r in requests],
        [r.change is not None for r in requests],
        [r.quota_limit for r in requests],
        [r.charge for r in requests],
    )
