"""Business-app echoes → Genesys: what the business sent from the WhatsApp Business app is shown
to the agent in the customer's conversation, marked as the business's
(:mod:`connectors.translate.echoes`).

Like a customer message, and each step safe to repeat: a budget token, the delivery claim
(``message_tracking`` direction ``echo``, by the echo's wamid: a duplicate stops here), the
translation, the plan quota once (an echo is a message carried), the Genesys call, then one
transaction closing the claim and counting ``echoes_in``. Unlike a customer message, an echo
never touches the conversation mapping: it opens no customer-service window, so an agent's
reply is still measured from the customer's own last message. An echo whose call got no
answer is sent again rather than looked up in Genesys first (**lossy** in that rare case: it
may show twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg

from connectors.genesys.client import GenesysClient
from connectors.translate import echo_to_genesys, referenced_wamids
from pipeline.media.ingest import NO_MEDIA
from pipeline.store import identities
from pipeline.store.claims import ClaimStore
from pipeline.worker.forward import nothing_accepted
from pipeline.worker.side_context import GenesysCaller, translation_facts
from pipeline.worker.tenants import TenantDirectory
from schemas.events import EchoReceived
from schemas.genesys import OpenInboundNormalizedMessage
from tenancy import usage
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import run_together
from tenancy.quota import QuotaService

ECHOES_IN = "echoes_in"
"""Usage metric: the business's own sends from the WhatsApp Business app shown to agents."""

EchoResult = Literal["echo_delivered", "duplicate"]


@dataclass(frozen=True)
class EchoForwarder:
    """Carries echoes to the tenant's Genesys integration, once each."""

    pool: asyncpg.Pool
    tenants: TenantDirectory
    claims: ClaimStore
    quota: QuotaService
    genesys: GenesysClient
    caller: GenesysCaller

    async def forward(self, event: EchoReceived) -> EchoResult:
        """Show one echo to the agent (see the module docstring)."""
        tenant = await self.tenants.active(event.tenant_id)
        target = await self.tenants.genesys(event.tenant_id)
        await self.caller.pacer.acquire("genesys", event.tenant_id)
        claim = await self.claims.claim(
            event.tenant_id,
            "echo",
            event.message_id,
            event.customer,
            identify=lambda conn: identities.customer_key(
                conn, event.tenant_id, identities.ids_of(event.customer)
            ),
        )
        if claim is None:
            return "duplicate"
        in_doubt = False
        try:
            facts = await translation_facts(
                self.pool, event.tenant_id, claim.customer, referenced_wamids(event)
            )
            call = echo_to_genesys(
                event,
                facts.target(target.integration_id, NO_MEDIA.link, customer_key=claim.customer),
            )
            if not claim.quota_counted:
                await self.quota.consume(
                    event.tenant_id, tenant.plan, also=self.claims.quota_counted_in(claim)
                )
            in_doubt = True
            body = call.body
            if not isinstance(body, OpenInboundNormalizedMessage):  # never: always a message
                raise TypeError(f"an echo became {type(body).__name__}")
            accepted = await self.caller(
                target,
                lambda: self.genesys.send_message(target, body, prefetch_conversation_id=True),
                paced=True,
            )
            async with tenant_tx(self.pool, event.tenant_id) as conn:
                await run_together(
                    conn,
                    self.claims.completion(claim, accepted.id),
                    usage.increment(event.tenant_id, ECHOES_IN, 1, usage.today()),
                )
        except BaseException as exc:
            await self.claims.release(claim, answered=not in_doubt or nothing_accepted(exc))
            raise
        await self.claims.remember_done(claim)
        return "echo_delivered"
