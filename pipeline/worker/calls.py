"""WhatsApp calls → Genesys: a customer's call attempt becomes a notice in their conversation
and, where the tenant names a callback queue, a Genesys callback to their number.

Only the ``connect`` of a user-initiated call counts
(:func:`~connectors.translate.notifies_agent`); every other call event is acknowledged and
dropped. Two claims keep each side effect to one per call id, both in ``message_tracking``:

1. ``callback`` (by call id), taken first: the callback is created, and its conversation id
   recorded, at most once. Genesys takes no idempotency key for callbacks and offers no lookup
   by our data, so a callback whose creation got no answer is *not* created again: the next
   attempt finds the claim in doubt, logs it and reports the callback as requested
   (at most once, never twice: a customer is not rung back two times). A refusal (a queue
   that does not exist, a client without ``conversation:callback:create``) is told to the
   agent and logged, not retried.
2. ``call`` (by call id): the notice, sent last, so a retry after any failure above sends it
   once, saying what became of the callback. Its ``messageId`` is the call id.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

import asyncpg

from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysPermanentError
from connectors.genesys.token import GenesysTenant
from connectors.translate import CallbackNote, call_notice_to_genesys, notifies_agent
from pipeline.media.ingest import NO_MEDIA
from pipeline.store import identities
from pipeline.store.claims import ClaimStore
from pipeline.worker.forward import nothing_accepted
from pipeline.worker.side_context import GenesysCaller, translation_facts
from pipeline.worker.tenants import TenantDirectory
from schemas.events import CallReceived
from schemas.genesys import OpenInboundNormalizedMessage
from schemas.genesys.callbacks import CreateCallbackCommand
from tenancy import usage
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import run_together
from tenancy.models import Tenant

log = logging.getLogger(__name__)

CALL_NOTICES = "call_notices"
"""Usage metric: customers' WhatsApp call attempts told to agents."""

CALLBACKS = "callbacks"
"""Usage metric: Genesys callbacks created for them."""

CallResult = Literal["call_notice_sent", "call_ignored", "duplicate"]

_WA_ID: Final = re.compile(r"[0-9]{5,20}")


@dataclass(frozen=True)
class CallHandler:
    """Tells agents of customers' call attempts and creates the tenant's callbacks."""

    pool: asyncpg.Pool
    tenants: TenantDirectory
    claims: ClaimStore
    genesys: GenesysClient
    caller: GenesysCaller

    async def handle(self, event: CallReceived) -> CallResult:
        """The notice (and callback) of one call event, once per call id."""
        if not notifies_agent(event):
            return "call_ignored"
        tenant = await self.tenants.active(event.tenant_id)
        target = await self.tenants.genesys(event.tenant_id)
        claim = await self.claims.claim(
            event.tenant_id,
            "call",
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
            note = await self._callback(event, tenant, target)
            known = await translation_facts(self.pool, event.tenant_id, claim.customer, ())
            (call,) = call_notice_to_genesys(
                event,
                known.target(target.integration_id, NO_MEDIA.link, customer_key=claim.customer),
                note,
            )
            body = call.body
            if not isinstance(body, OpenInboundNormalizedMessage):  # never: always a message
                raise TypeError(f"a call notice became {type(body).__name__}")
            in_doubt = True
            accepted = await self.caller(
                target,
                lambda: self.genesys.send_message(target, body, prefetch_conversation_id=True),
            )
            async with tenant_tx(self.pool, event.tenant_id) as conn:
                await run_together(
                    conn,
                    self.claims.completion(claim, accepted.id),
                    usage.increment(event.tenant_id, CALL_NOTICES, 1, usage.today()),
                )
        except BaseException as exc:
            await self.claims.release(claim, answered=not in_doubt or nothing_accepted(exc))
            raise
        await self.claims.remember_done(claim)
        return "call_notice_sent"

    async def _callback(
        self, event: CallReceived, tenant: Tenant, target: GenesysTenant
    ) -> CallbackNote:
        """Create the callback once, if the tenant wants one; what became of it."""
        queue = tenant.callback_queue_id
        if queue is None:
            return CallbackNote("off")
        wa_id = event.payload.customer_ids()[0] or event.customer
        if not _WA_ID.fullmatch(wa_id):
            return CallbackNote("no_number")
        number = f"+{wa_id}"
        facts = {"tenant_id": event.tenant_id, "call_id": event.message_id}
        claim = await self.claims.claim(event.tenant_id, "callback", event.message_id, wa_id)
        if claim is None:
            return CallbackNote("requested", number)  # created by an earlier attempt
        if claim.in_doubt:
            log.warning(
                "callback may exist already (no answer earlier): not created twice", extra=facts
            )
            async with tenant_tx(self.pool, event.tenant_id) as conn:
                await self.claims.completion(claim, None).run(conn)
            await self.claims.remember_done(claim)
            return CallbackNote("requested", number)
        body = CreateCallbackCommand(
            queue_id=queue,
            callback_numbers=[number],
            callback_user_name=event.contact_name or None,
            data={
                "wagen_source": "whatsapp_call",
                "whatsapp_call_id": event.message_id,
                "whatsapp_phone_number_id": event.phone_number_id,
            },
        )
        try:
            await self.caller.pacer.acquire("genesys", event.tenant_id)
        except BaseException:
            await self.claims.release(claim)
            raise
        try:
            created = await self.caller(
                target, lambda: self.genesys.create_callback(target, body), paced=True
            )
        except GenesysPermanentError as exc:
            await self.claims.release(claim)
            log.warning(
                "callback refused by Genesys: the agent is told",
                extra={**facts, "error": str(exc)},
            )
            return CallbackNote("refused", reason=_refusal(exc))
        except BaseException as exc:
            # From here Genesys may have created it unseen: the claim stays in doubt then.
            await self.claims.release(claim, answered=nothing_accepted(exc))
            raise
        async with tenant_tx(self.pool, event.tenant_id) as conn:
            await run_together(
                conn,
                self.claims.completion(claim, created.conversation.id),
                usage.increment(event.tenant_id, CALLBACKS, 1, usage.today()),
            )
        await self.claims.remember_done(claim)
        log.info("callback created", extra={**facts, "conversation_id": created.conversation.id})
        return CallbackNote("requested", number)


def _refusal(exc: GenesysPermanentError) -> str:
    """Genesys's refusal in a few words for the agent: status and code, no body."""
    parts = [f"HTTP {exc.http_status}" if exc.http_status else None, exc.genesys_code]
    return " ".join(part for part in parts if part) or exc.code
