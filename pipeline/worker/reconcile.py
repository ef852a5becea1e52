"""Messages in doubt: did Genesys accept a message whose answer we never saw?

A worker that dies during a Genesys call, or whose call times out, cannot know whether
Genesys accepted the message, and Genesys's idempotency on ``channel.messageId`` is
unconfirmed (reference section 6), so sending again may show the customer's message to the
agent twice. The claim marks such a message *in doubt* (:mod:`pipeline.store.claims`); before
sending it again the forwarder asks Genesys here: the customer's last known conversation
(kept from ``prefetchConversationId`` answers in ``conversation_mappings``) is searched for
a message whose ``providerMessageId`` is the wamid.

What this cannot settle, it leaves to a resend (at-least-once, never a loss): a customer
whose conversation id is not known yet (the message in doubt was the first one), a
conversation that has ended, or an OAuth client without the permission to read
conversations (logged as a warning). That ``providerMessageId`` carries our
``channel.messageId`` is an assumption about Genesys, see ``docs/mapping.md``.
"""

from __future__ import annotations

import logging

import asyncpg

from connectors.genesys.client import GenesysClient, InboundAccepted
from connectors.genesys.errors import GenesysPermanentError
from connectors.genesys.token import GenesysTenant
from pipeline.store import mappings
from pipeline.worker.pacing import CallPacer
from schemas.events import MessageReceived
from tenancy.db.scope import tenant_tx

log = logging.getLogger(__name__)


async def accepted_before(
    pool: asyncpg.Pool,
    genesys: GenesysClient,
    pacer: CallPacer,
    target: GenesysTenant,
    event: MessageReceived,
    customer: str,
) -> InboundAccepted | None:
    """Genesys's record of ``event`` (from ``customer``, their stable key) if it accepted it
    already; ``None``: send it.

    Raises:
        GenesysError: a retriable failure of the lookup (the message stays in doubt).
    """
    facts = {"tenant_id": event.tenant_id, "message_id": event.message_id}
    async with tenant_tx(pool, event.tenant_id) as conn:
        conversation = await mappings.genesys_conversation_id(conn, event.tenant_id, customer)
    if conversation is None:
        log.warning("message in doubt, no Genesys conversation known: sending again", extra=facts)
        return None
    for _ in range(2):  # the lookup is two calls of the tenant's Genesys budget
        await pacer.acquire("genesys", event.tenant_id)
    try:
        found = await genesys.find_inbound(target, conversation, event.message_id)
    except GenesysPermanentError as exc:
        log.warning(
            "message in doubt, cannot read the Genesys conversation: sending again",
            extra={**facts, "error": str(exc)},
        )
        return None
    if found is None:
        log.info("message in doubt was not accepted by Genesys: sending it", extra=facts)
        return None
    log.info(
        "message in doubt had been accepted by Genesys: recorded, not sent again",
        extra={**facts, "genesys_message_id": found},
    )
    return InboundAccepted(id=found, conversation_id=conversation, body={})
