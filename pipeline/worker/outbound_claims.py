"""The outbound delivery claim: at most one worker sends an agent's message, and only once.

The same scheme as the inbound claim (:mod:`pipeline.store.claims`) — a Redis ``SET NX``
lease as the cheap gate, the unique ``message_tracking`` row as the truth — keyed by
(tenant, ``outbound``, Genesys message id) instead of the wamid, which does not exist before
the send. Genesys retries a webhook it got no timely 200 for, and Kafka redelivers after a
crash or a rebalance: a claim on a message already sent is a duplicate, one held by another
worker is busy (retried after its lease).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.store import outbound
from pipeline.store.claims import LeasedClaims
from pipeline.store.outbound import OutboundFailure
from pipeline.store.tracking import ClaimRefusal
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import Statement


@dataclass(frozen=True)
class OutboundClaim:
    """A claim held on one agent message.

    Attributes:
        parts_sent: WhatsApp messages of it Meta accepted in earlier attempts.
        failure: set when an earlier attempt failed for good but its receipt did not go out.
    """

    tenant_id: str
    genesys_message_id: str
    token: str
    parts_sent: int
    failure: OutboundFailure | None

    def failed(self, failure: OutboundFailure) -> OutboundClaim:
        """This claim, now known to have failed."""
        return replace(self, failure=failure)


class OutboundClaims(LeasedClaims):
    """Takes, completes and releases outbound claims (Redis gate + PostgreSQL truth)."""

    label = "agent message"

    def key(self, tenant_id: str, genesys_message_id: str) -> str:
        """The Redis key of one claim (the inbound claims' scheme, direction ``outbound``)."""
        return f"{self._prefix}claim:{tenant_id}:outbound:{genesys_message_id}"

    async def claim(
        self, tenant_id: str, genesys_message_id: str, wa_id: str
    ) -> OutboundClaim | None:
        """Take the claim; ``None`` when the message was handled already (a duplicate).

        Raises:
            ClaimBusyError: another worker holds it now.
        """
        key = self.key(tenant_id, genesys_message_id)
        token = await self._lease.take(key, genesys_message_id, tenant_id)
        if token is None:
            return None
        try:
            async with tenant_tx(self._pool, tenant_id) as conn:
                taken = await outbound.claim(
                    conn, tenant_id, genesys_message_id, wa_id, self._lease_s
                )
        except BaseException:
            await self._lease.release(key, token)
            raise
        if isinstance(taken, ClaimRefusal):
            await self._lease.refused(key, token, taken, genesys_message_id, tenant_id)
            return None
        return OutboundClaim(tenant_id, genesys_message_id, token, taken.parts_sent, taken.failure)

    async def part_sent(self, claim: OutboundClaim, parts_sent: int) -> None:
        """Record progress through a split message."""
        async with tenant_tx(self._pool, claim.tenant_id) as conn:
            await outbound.part_sent(conn, claim.tenant_id, claim.genesys_message_id, parts_sent)

    async def record_failure(self, claim: OutboundClaim, failure: OutboundFailure) -> None:
        """Remember the failure before its receipt is sent."""
        async with tenant_tx(self._pool, claim.tenant_id) as conn:
            await outbound.record_failure(conn, claim.tenant_id, claim.genesys_message_id, failure)

    def sent(self, claim: OutboundClaim, wamid: str | None, parts: int) -> Statement:
        """Marking the message sent, to run in the caller's tenant transaction."""
        return outbound.sent(claim.tenant_id, claim.genesys_message_id, wamid, parts)

    async def complete_failed(self, claim: OutboundClaim) -> None:
        """Mark the message failed (its receipt went out)."""
        async with tenant_tx(self._pool, claim.tenant_id) as conn:
            await outbound.mark_failed(conn, claim.tenant_id, claim.genesys_message_id)

    async def remember_done(self, claim: OutboundClaim) -> None:
        """After the commit: let Redis turn later duplicates away cheaply."""
        await self._lease.done(self.key(claim.tenant_id, claim.genesys_message_id))

    async def release(self, claim: OutboundClaim) -> None:
        """Give the claim up after a failure, so a retry can take it at once."""
        async with tenant_tx(self._pool, claim.tenant_id) as conn:
            await outbound.release(conn, claim.tenant_id, claim.genesys_message_id)
        key = self.key(claim.tenant_id, claim.genesys_message_id)
        await self._lease.release(key, claim.token)
