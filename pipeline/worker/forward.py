"""WhatsApp events → Genesys: a customer's message becomes an inbound Open Messaging call,
a status of an agent's message becomes a receipt.

Order of work for a message, each step safe to repeat:

1. tenant active, Genesys credentials present (else held or dead-lettered by the caller);
   the customer's stable key comes from the identity store in the claim's transaction
   (:mod:`pipeline.store.identities`), so a customer known by number and by BSUID stays one
   Genesys conversation;
2. a token of the tenant's Genesys budget for the first call (:mod:`pipeline.worker.pacing`:
   a tenant at its budget waits here, it does not fail) — taken before the claim, so a
   long wait never outlives the claim's lease, and before the work below, so a paced
   tenant's backlog costs nothing until its turn;
3. the delivery claim (:mod:`pipeline.store.claims`): a duplicate stops here; a message in
   doubt (an earlier holder died mid-call, or its call timed out) is looked up in Genesys
   first (:mod:`pipeline.worker.reconcile`) and only recorded if Genesys has it;
4. media downloaded from Meta into the media store (:mod:`pipeline.media.ingest`; skipped
   when a retry finds it stored), then translation (pure; tracked wamids, media links and
   the customer's marketing choice prefetched, so it never waits on I/O) — both before the
   quota, so a message that cannot be carried is not charged;
5. the plan quota, charged once per message (``quota_counted`` survives retries);
6. the Genesys call (any further call of the same message takes its own token);
7. one transaction: tracking ``sent`` with the Genesys id, the conversation mapping and
   the ``messages_in`` counter, so the three never disagree.

A failure after the claim releases it and re-raises: the agent decides between the retry
topic, the held topic and the DLQ (:mod:`pipeline.worker.routing`). A failure that leaves the
outcome of the Genesys call unknown (no answer, or an error after the answer) releases it in
doubt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Literal

import asyncpg

from connectors.errors import ConnectorTransportError
from connectors.genesys.client import GenesysClient, InboundAccepted
from connectors.genesys.errors import (
    GenesysCredentialsError,
    GenesysError,
    GenesysRateLimitedError,
)
from connectors.genesys.token import GenesysTenant
from connectors.translate import GenesysCall, GenesysTarget, event_to_genesys, referenced_wamids
from pipeline.media.ingest import NO_MEDIA, MediaIngest
from pipeline.store import identities, journey, mappings, tracking
from pipeline.store.claims import Claim, ClaimStore
from pipeline.worker.errors import SendInDoubtError
from pipeline.worker.pacing import CallPacer
from pipeline.worker.reconcile import accepted_before
from pipeline.worker.side_context import translation_facts
from pipeline.worker.tenants import TenantDirectory
from schemas.events import MessageReceived, StatusReceived, plain_wa_id
from schemas.genesys import (
    OpenInboundNormalizedMessage,
    OpenInboundNormalizedReceipt,
    OpenInboundStructuredResponseMessage,
)
from schemas.meta.messages import SystemMessage
from tenancy import usage
from tenancy.db.scope import Connection, tenant_tx
from tenancy.db.statements import run_together
from tenancy.quota import QuotaService

log = logging.getLogger(__name__)

MESSAGES_IN = "messages_in"
"""Usage metric: customer messages carried to Genesys."""

Result = Literal["delivered", "duplicate", "recovered", "no_receipt", "not_tracked", "receipt_sent"]
"""``recovered``: a message in doubt that Genesys had accepted, recorded without a resend."""


_ID_CHANGES = frozenset({"user_changed_number", "user_changed_user_id"})


async def identify_customer(event: MessageReceived, conn: Connection) -> str | None:
    """The customer's stable key; a number or user-id change moves their identity first."""
    ids = event.customer_ids()
    message = event.payload
    if isinstance(message, SystemMessage) and message.system.type in _ID_CHANGES:
        change = message.system
        return await identities.customer_changed(
            conn,
            event.tenant_id,
            ids,
            new_wa_id=plain_wa_id(change.wa_id),
            new_user_id=change.user_id,
            new_parent_user_id=change.parent_user_id,
        )
    return await identities.customer_key(conn, event.tenant_id, ids)


def nothing_accepted(exc: BaseException) -> bool:
    """Genesys answered the failed call (or was never reached): nothing was accepted."""
    if isinstance(exc, GenesysError):
        return True
    return isinstance(exc, ConnectorTransportError) and not exc.maybe_sent


@dataclass(frozen=True)
class Forwarder:
    """Carries ``wa.events`` to Genesys for every tenant (one instance per worker)."""

    pool: asyncpg.Pool
    tenants: TenantDirectory
    claims: ClaimStore
    quota: QuotaService
    genesys: GenesysClient
    media: MediaIngest
    pacer: CallPacer
    in_doubt_settle_s: float

    async def message(self, event: MessageReceived, mark: journey.Mark | None = None) -> Result:
        """Deliver one customer message to the tenant's Genesys integration, once.

        ``mark``: the record being carried, for the message's journey row.
        """
        tenant = await self.tenants.active(event.tenant_id)
        target = await self.tenants.genesys(event.tenant_id)
        await self.pacer.acquire("genesys", event.tenant_id)
        claim = await self.claims.claim(
            event.tenant_id,
            "inbound",
            event.message_id,
            event.customer,
            identify=partial(identify_customer, event),
        )
        if claim is None:
            return "duplicate"
        claimed_at_ms = time.time_ns() // 1_000_000
        in_doubt = claim.in_doubt
        try:
            if claim.doubt_age_s is not None:
                self._settled(event, claim.doubt_age_s)
                earlier = await accepted_before(
                    self.pool, self.genesys, self.pacer, target, event, claim.customer
                )
                if earlier is not None:
                    way = _Way(mark, claimed_at_ms, recovered=True)
                    await self._record(event, claim, earlier, way)
                    await self.claims.remember_done(claim)
                    return "recovered"
                in_doubt = False
            # Translate first: a message that cannot be carried is not charged to the plan.
            calls = await self._translate(event, target, claim.customer)
            if not claim.quota_counted:
                # The charge and its note on the claim commit together: never charged twice.
                await self.quota.consume(
                    event.tenant_id, tenant.plan, also=self.claims.quota_counted_in(claim)
                )
            in_doubt = True  # from here Genesys may accept it without our seeing the answer
            accepted = [
                await self._call(target, call, paced=n == 0) for n, call in enumerate(calls)
            ]
            way = _Way(mark, claimed_at_ms, recovered=False)
            await self._record(event, claim, accepted[-1] if accepted else None, way)
        except BaseException as exc:
            answered = not in_doubt or nothing_accepted(exc)
            await self.claims.release(claim, answered=answered)
            if not answered and isinstance(exc, Exception):
                raise SendInDoubtError(
                    f"Genesys may have accepted message {event.message_id} ({exc}): "
                    "asking Genesys before sending it again",
                    retry_after=self.in_doubt_settle_s,
                    tenant_id=event.tenant_id,
                ) from exc
            raise
        await self.claims.remember_done(claim)
        return "delivered"

    def _settled(self, event: MessageReceived, doubt_age_s: float) -> None:
        """Raise until Genesys has had time to finish a call we stopped waiting for."""
        wait = self.in_doubt_settle_s - doubt_age_s
        if wait > 0:
            raise SendInDoubtError(
                f"message {event.message_id} is in doubt: asking Genesys in {wait:.1f}s",
                retry_after=wait,
                tenant_id=event.tenant_id,
            )

    async def status(self, event: StatusReceived, mark: journey.Mark | None = None) -> Result:
        """Turn a delivered/failed status of an agent's message into one Genesys receipt."""
        receipt: Literal["delivered", "failed"]
        if event.type == "delivered":
            receipt = "delivered"
        elif event.type == "failed":
            receipt = "failed"
        else:
            return "no_receipt"
        await self.tenants.active(event.tenant_id)
        target = await self.tenants.genesys(event.tenant_id)
        async with tenant_tx(self.pool, event.tenant_id) as conn:
            sent = await tracking.outbound(conn, event.tenant_id, event.message_id)
        if sent is None or sent.genesys_message_id is None:
            log.info(
                "status of a message not sent for Genesys: no receipt",
                extra={"tenant_id": event.tenant_id, "status": event.type},
            )
            return "not_tracked"
        if sent.status == receipt or (sent.status == "read" and receipt == "delivered"):
            return "duplicate"
        genesys_id = sent.genesys_message_id
        calls = event_to_genesys(
            event,
            GenesysTarget(
                integration_id=target.integration_id,
                media_url=NO_MEDIA.link,
                genesys_message_id=lambda wamid: genesys_id if wamid == event.message_id else None,
                customer_key=sent.customer,
            ),
        )
        for call in calls:
            await self._call(target, call)
        noted = {"status": receipt, "waMessageId": event.message_id, "metaAt": event.timestamp}
        async with tenant_tx(self.pool, event.tenant_id) as conn:
            await run_together(
                conn,
                tracking.outbound_status(
                    event.tenant_id, event.message_id, receipt, event.timestamp
                ),
                journey.step(event.tenant_id, "outbound", genesys_id, "receipt", mark, noted),
            )
        return "receipt_sent"

    async def _translate(
        self, event: MessageReceived, target: GenesysTenant, customer: str
    ) -> list[GenesysCall]:
        media = await self.media.ingest(event)
        # Tracked wamids and the customer's marketing choice (routing context), one read.
        facts = await translation_facts(
            self.pool, event.tenant_id, customer, referenced_wamids(event)
        )
        calls = event_to_genesys(
            event, facts.target(target.integration_id, media.link, customer_key=customer)
        )
        return media.apply(calls)

    async def _call(
        self, target: GenesysTenant, call: GenesysCall, *, paced: bool = False
    ) -> InboundAccepted:
        """One Genesys call; ``paced`` when its budget token was taken already."""
        body = call.body
        if not paced:
            await self.pacer.acquire("genesys", target.tenant_id)
        try:
            if isinstance(body, OpenInboundNormalizedMessage):
                return await self.genesys.send_message(target, body, prefetch_conversation_id=True)
            if isinstance(body, OpenInboundStructuredResponseMessage):
                return await self.genesys.send_structured_response(target, body)
            if isinstance(body, OpenInboundNormalizedReceipt):
                return await self.genesys.send_receipt(target, body)
            return await self.genesys.send_event(target, body)
        except GenesysRateLimitedError as exc:
            # Other workers share the budget, or it is lower than configured: back off too.
            await self.pacer.hold("genesys", target.tenant_id, exc.retry_after or 1.0)
            raise
        except GenesysCredentialsError:
            # Maybe rotated in Vault since we cached them: read them again next time.
            self.tenants.forget(target.tenant_id)
            raise

    async def _record(
        self,
        event: MessageReceived,
        claim: Claim,
        accepted: InboundAccepted | None,
        way: _Way,
    ) -> None:
        # Four tables, one round trip: the claim closed, the mapping refreshed, the usage,
        # the journey.
        delivered = {
            "to": "genesys",
            "genesysMessageId": accepted.id if accepted else None,
            "genesysConversationId": accepted.conversation_id if accepted else None,
            "claimedAtMs": way.claimed_at_ms,
            "recovered": way.recovered,
            "metaAt": event.timestamp,
        }
        async with tenant_tx(self.pool, event.tenant_id) as conn:
            await run_together(
                conn,
                self.claims.completion(claim, accepted.id if accepted else None),
                mappings.touching(
                    event.tenant_id,
                    claim.customer,
                    phone_number_id=event.phone_number_id,
                    contact_name=event.contact_name,
                    message_at=event.timestamp,
                    genesys_conversation_id=accepted.conversation_id if accepted else None,
                ),
                usage.increment(event.tenant_id, MESSAGES_IN, 1, usage.today()),
                journey.step(
                    event.tenant_id, "inbound", event.message_id, "delivered", way.mark, delivered
                ),
            )


@dataclass(frozen=True)
class _Way:
    """How a message got to its delivery: the record carrying it, when it was claimed, and
    whether Genesys had it already (a message in doubt, recovered without a resend)."""

    mark: journey.Mark | None
    claimed_at_ms: int
    recovered: bool
