"""The outbound claims and send records, a batch at a time (group commit).

An agent's message needs the claim on its Genesys id together with what the send must know
of the customer (who ``channel.to.id`` is now, the number they last wrote to and when), and
afterwards the record of the send (the wamid that later statuses name, ``messages_out``) or
the claim's release. As on the inbound side (:mod:`pipeline.store.inbound`), each kind is a
group commit whose flush is one statement inside a :func:`~tenancy.db.scope.batch_tx`; the
claim's rules are ``wagen_claim_outbound`` (migration 0015). The rare steps — progress
through a split message, a failure before its receipt — stay per message
(:mod:`pipeline.store.outbound`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import asyncpg

from pipeline.store.group_commit import GroupCommit
from pipeline.store.identities import KnownCustomer
from pipeline.store.outbound import OutboundFailure
from tenancy.db.scope import batch_tx

Outcome = Literal["claimed", "duplicate", "busy"]


@dataclass(frozen=True)
class OutboundRequest:
    """One agent message to claim, for the customer key of its ``channel.to.id``."""

    tenant_id: str
    genesys_message_id: str
    customer: str


@dataclass(frozen=True)
class OutboundClaimed:
    """What the claim of one agent message found.

    Attributes:
        outcome: ``claimed``, ``duplicate`` (handled already) or ``busy`` (a live worker
            holds it).
        known: who the customer is now (kind ``None``: the identity store does not know).
        phone_number_id: the business number they last wrote to (``None``: never wrote).
        last_inbound_at: when they last wrote (Meta's time).
        parts_sent: WhatsApp messages of it Meta accepted in earlier attempts.
        failure: an earlier attempt's final failure whose receipt did not go out yet.
        left_s: for ``busy``, seconds until the holder's lease ends.
    """

    tenant_id: str
    genesys_message_id: str
    outcome: Outcome
    known: KnownCustomer
    phone_number_id: str | None
    last_inbound_at: datetime | None
    parts_sent: int
    failure: OutboundFailure | None
    left_s: float


@dataclass(frozen=True)
class OutboundSent:
    """Every part of an agent message was accepted by Meta (``parts`` 0: nothing to send)."""

    tenant_id: str
    genesys_message_id: str
    wamid: str | None
    parts: int


@dataclass(frozen=True)
class OutboundRelease:
    """Give an outbound claim up after a failure that is to be retried."""

    tenant_id: str
    genesys_message_id: str


_CLAIM_SQL: Final = "SELECT * FROM wagen_claim_outbound($1, $2::text[], $3::text[], $4::text[])"

_SENT_SQL: Final = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[])
        AS i(tenant_id, genesys_id, wamid, parts)
), done AS (
    UPDATE message_tracking t
       SET status = 'sent', wa_message_id = i.wamid, parts_sent = i.parts, claimed_by = NULL,
           claimed_until = NULL, error = NULL, updated_at = now()
      FROM input i
     WHERE t.tenant_id = i.tenant_id AND t.direction = 'outbound'
       AND t.genesys_message_id = i.genesys_id
), counted AS (
    INSERT INTO usage_daily AS u (tenant_id, day, metric, value)
    SELECT tenant_id, (now() AT TIME ZONE 'UTC')::date, 'messages_out', count(*)
      FROM input WHERE parts > 0 GROUP BY tenant_id
    ON CONFLICT (tenant_id, day, metric)
    DO UPDATE SET value = u.value + EXCLUDED.value, updated_at = now()
)
SELECT count(*) FROM input
"""

_RELEASE_SQL: Final = """
UPDATE message_tracking t SET claimed_by = NULL, claimed_until = NULL, updated_at = now()
  FROM unnest($1::text[], $2::text[]) AS i(tenant_id, genesys_id)
 WHERE t.tenant_id = i.tenant_id AND t.direction = 'outbound'
   AND t.genesys_message_id = i.genesys_id AND t.status = 'received' AND t.claimed_by = $3
"""


class OutboundStore:
    """Claims, send records and releases of agent messages, each a group commit."""

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
        self.claims: GroupCommit[OutboundRequest, OutboundClaimed] = GroupCommit(
            self._claim_batch, max_size=max_batch, max_wait_s=max_wait_s, name="outbound-claims"
        )
        self.sends: GroupCommit[OutboundSent, None] = GroupCommit(
            self._sent_batch, max_size=max_batch, max_wait_s=max_wait_s, name="outbound-sent"
        )
        self.releases: GroupCommit[OutboundRelease, None] = GroupCommit(
            self._release_batch,
            max_size=max_batch,
            max_wait_s=max_wait_s,
            name="outbound-releases",
        )

    async def claim(self, request: OutboundRequest) -> OutboundClaimed:
        """Claim one agent message (joins the next flush)."""
        return await self.claims.submit(request)

    async def sent(self, record: OutboundSent) -> None:
        """Record one sent message (joins the next flush)."""
        await self.sends.submit(record)

    async def release(self, release: OutboundRelease) -> None:
        """Give one claim up (joins the next flush)."""
        await self.releases.submit(release)

    async def close(self) -> None:
        """Flush what waits and stop."""
        for commit in (self.claims, self.sends, self.releases):
            await commit.close()

    async def _claim_batch(self, requests: Sequence[OutboundRequest]) -> list[OutboundClaimed]:
        # Rows are locked in one order by every batch: no deadlock between workers.
        order = sorted(range(len(requests)), key=lambda n: _lock_order(requests[n]))
        ordered = [requests[n] for n in order]
        async with batch_tx(self._pool, {r.tenant_id for r in ordered}) as conn:
            rows = await conn.fetch(
                _CLAIM_SQL,
                self._worker_id,
                [r.tenant_id for r in ordered],
                [r.genesys_message_id for r in ordered],
                [r.customer for r in ordered],
            )
        found: dict[int, OutboundClaimed] = {}
        for n, request, row in zip(order, ordered, rows, strict=True):
            found[n] = OutboundClaimed(
                tenant_id=request.tenant_id,
                genesys_message_id=request.genesys_message_id,
                outcome=row["outcome"],
                known=KnownCustomer(row["customer"], row["kind"], row["wa_id"], row["user_id"]),
                phone_number_id=row["phone_number_id"],
                last_inbound_at=row["last_message_at"],
                parts_sent=int(row["parts_sent"] or 0),
                failure=OutboundFailure.from_json(row["error"]),
                left_s=float(row["left_s"] or 0.0),
            )
        return [found[n] for n in range(len(requests))]

    async def _sent_batch(self, records: Sequence[OutboundSent]) -> list[None]:
        async with batch_tx(self._pool, {r.tenant_id for r in records}) as conn:
            await conn.fetchval(
                _SENT_SQL,
                [r.tenant_id for r in records],
                [r.genesys_message_id for r in records],
                [r.wamid for r in records],
                [r.parts for r in records],
            )
        return [None] * len(records)

    async def _release_batch(self, releases: Sequence[OutboundRelease]) -> list[None]:
        async with batch_tx(self._pool, {r.tenant_id for r in releases}) as conn:
            await conn.execute(
                _RELEASE_SQL,
                [r.tenant_id for r in releases],
                [r.genesys_message_id for r in releases],
                self._worker_id,
            )
        return [None] * len(releases)


def _lock_order(request: OutboundRequest) -> tuple[str, str]:
    return request.tenant_id, request.genesys_message_id
