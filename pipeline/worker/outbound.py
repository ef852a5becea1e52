"""Genesys outbound webhooks → WhatsApp: an agent's message becomes Meta sends, agent typing a
typing indicator; a message that cannot go becomes a ``Failed`` receipt for the agent.

Order of work for an agent message, each step safe to repeat:

1. parse (an unreadable body raises :class:`~connectors.translate.GenesysPayloadError`: DLQ);
2. tenant active, Genesys credentials present (they carry the receipts);
3. the outbound claim on the Genesys message id (:mod:`pipeline.worker.outbound_claims`): a
   duplicate stops here;
4. the customer-service window of (tenant, the number the customer wrote to, customer), from
   the customer's last inbound message (:mod:`pipeline.store.window`) — closed means no Meta
   call at all — then the translation (pure);
5. the sends with the tenant's Meta token (missing: held), in order, each paced to the
   number's budget (:mod:`pipeline.worker.pacing`), attachments downloaded
   from Genesys and uploaded to Meta first; progress through a split message is recorded,
   so a retry resumes after the parts sent;
6. one transaction: the row ``sent`` with the last wamid (statuses of it become receipts on
   the inbound side) and the ``messages_out`` counter.

A failure that is final (:func:`~pipeline.worker.outbound_policy.final_failure`) is stored on
the row, reported by a ``Failed`` receipt, then the row is ``failed``; the caller puts it in
the DLQ too unless it was a closed window. Any other failure releases the claim and is
raised for the caller to route (retry, held, DLQ).

Genesys ``Receipt`` bodies (echoes of our own receipts) and unknown types send nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import asyncpg

from connectors.errors import ConnectorError
from connectors.genesys.attachments import GenesysAttachments
from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysCredentialsError
from connectors.genesys.token import GenesysTenant
from connectors.meta.client import MetaClient
from connectors.meta.errors import MetaCredentialsError, MetaRateLimitedError
from connectors.meta.graph import MetaAuth
from connectors.translate import (
    MediaUpload,
    MetaCall,
    MetaTarget,
    Recipient,
    customer_key,
    meta_recipient,
    outbound_to_meta,
    parse_outbound,
)
from pipeline.kafka.retry import BackoffPolicy
from pipeline.store import identities, journey, window
from pipeline.store.identities import KnownCustomer
from pipeline.store.outbound import OutboundFailure
from pipeline.store.window import CustomerContact
from pipeline.worker.errors import CredentialsMissingError
from pipeline.worker.meta_auth import MetaAuthDirectory
from pipeline.worker.outbound_claims import OutboundClaim, OutboundClaims
from pipeline.worker.outbound_policy import (
    SendOutcomeUnknownError,
    failed_receipt,
    final_failure,
    outcome_unknown,
    window_closed,
    window_open,
)
from pipeline.worker.pacing import CallPacer
from pipeline.worker.tenants import TenantDirectory
from schemas.genesys.webhook import (
    OpenEventNormalizedMessage,
    OpenMessageNormalizedMessage,
    OpenStructuredNormalizedMessage,
)
from schemas.meta import MarkRead
from tenancy import usage
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import run_together

log = logging.getLogger(__name__)

_PAIR_RATE_LIMIT = 131056  # Meta: too many messages to one customer, the number is fine

MESSAGES_OUT = "messages_out"
"""Usage metric: agent messages carried to WhatsApp."""

AgentMessage = OpenMessageNormalizedMessage | OpenStructuredNormalizedMessage

Result = Literal[
    "sent",
    "duplicate",
    "nothing_to_send",
    "window_closed",
    "failed",
    "ignored",
    "typing",
    "no_typing",
]

Step = tuple[MetaCall | None, MetaCall]
"""One WhatsApp message: the upload its media id comes from (if any), then the send."""


@dataclass(frozen=True)
class Outcome:
    """What became of one webhook.

    Attributes:
        result: in one word, for the log line.
        dead_letter: a failure the agent was told about that an operator should see too.
    """

    result: Result
    dead_letter: OutboundFailure | None = None


def customer_wa_id(to_id: str) -> str:
    """The customer key of a Genesys ``channel.to.id`` (``+972…`` → ``972…``; a BSUID or a
    group id as it is)."""
    return customer_key(to_id)


def addressee(known: KnownCustomer, to_id: str) -> Recipient | None:
    """How a send reaches the customer: a group by its id, a person by their current number,
    else by their BSUID; a customer the store does not know, as ``to_id`` reads."""
    if known.kind == "group":
        return Recipient("group", known.key)
    if known.wa_id:
        return Recipient("phone", f"+{known.wa_id}")
    if known.user_id:
        return Recipient("user_id", known.user_id)
    return meta_recipient(to_id)


def steps(calls: list[MetaCall]) -> list[Step]:
    """Group a translation's calls into WhatsApp messages (an upload belongs to its send)."""
    grouped: list[Step] = []
    upload: MetaCall | None = None
    for call in calls:
        if isinstance(call.body, MediaUpload):
            upload = call
            continue
        grouped.append((upload if call.needs_media_id else None, call))
        upload = None
    return grouped


@dataclass(frozen=True)
class OutboundSender:
    """Carries ``genesys.webhooks`` to WhatsApp for every tenant (one instance per worker)."""

    pool: asyncpg.Pool
    tenants: TenantDirectory
    accounts: MetaAuthDirectory
    claims: OutboundClaims
    meta: MetaClient
    genesys: GenesysClient
    attachments: GenesysAttachments
    policy: BackoffPolicy
    pacer: CallPacer

    async def handle(
        self, raw: bytes, tenant_id: str, attempt: int, mark: journey.Mark | None = None
    ) -> Outcome:
        """Attempt ``attempt`` (from 1) of one webhook body of ``tenant_id``; ``mark``: the
        record being carried, for the message's journey row."""
        message = parse_outbound(raw, tenant_id=tenant_id)
        if isinstance(message, OpenEventNormalizedMessage):
            return Outcome(await self._typing(tenant_id, message))
        if isinstance(message, AgentMessage):
            return await self._message(tenant_id, message, attempt, mark)
        return Outcome("ignored")

    async def _message(
        self, tenant_id: str, message: AgentMessage, attempt: int, mark: journey.Mark | None
    ) -> Outcome:
        await self.tenants.active(tenant_id)
        target = await self.tenants.genesys(tenant_id)
        customer = customer_wa_id(message.channel.to.id)
        claim = await self.claims.claim(tenant_id, message.id, customer)
        if claim is None:
            return Outcome("duplicate")
        try:
            failure = claim.failure
            if failure is None:
                try:
                    wamid, parts = await self._send(message, customer, claim)
                except Exception as exc:
                    failure = self._final(exc, attempt, tenant_id)
                    await self.claims.record_failure(claim, failure)
                else:
                    # Bookkeeping failures are retried, never reported: the message went.
                    await self._record_sent(claim, wamid, parts, mark)
                    await self.claims.remember_done(claim)
                    return Outcome("sent" if parts else "nothing_to_send")
            await self._receipt(target, message.id, customer, failure)
            await self.claims.complete_failed(claim)
        except BaseException:
            await self.claims.release(claim)
            raise
        await self.claims.remember_done(claim)
        if not failure.dead_letter:
            return Outcome("window_closed")
        return Outcome("failed", dead_letter=failure)

    def _final(self, exc: Exception, attempt: int, tenant_id: str) -> OutboundFailure:
        """The failure to tell the agent about; re-raise one that is not final."""
        if isinstance(exc, MetaCredentialsError):
            self.accounts.forget(tenant_id)
        failure = final_failure(exc, attempt, self.policy)
        if failure is not None:
            return failure
        if outcome_unknown(exc):
            raise SendOutcomeUnknownError(
                f"Meta send may have been delivered, no answer: {exc}", tenant_id=tenant_id
            ) from exc
        raise exc

    async def _send(
        self, message: AgentMessage, customer: str, claim: OutboundClaim
    ) -> tuple[str | None, int]:
        """Send what is left of the message; the last wamid and how many parts it has."""
        tenant_id = claim.tenant_id
        known, contact = await self._contact(tenant_id, customer)
        number = contact.phone_number_id
        # Checked before anything else: a closed window means no Meta call at all.
        if number is None or not window_open(contact.last_inbound_at, datetime.now(UTC)):
            raise window_closed(tenant_id, contact.last_inbound_at)
        to = addressee(known, message.channel.to.id)
        target = MetaTarget(number, recipient=to)
        planned = steps(outbound_to_meta(message, target, tenant_id=tenant_id))
        wamid: str | None = None
        if planned:
            auth = await self.accounts.auth(tenant_id, number)
            for index, (upload, send) in enumerate(planned):
                if index < claim.parts_sent:
                    continue  # accepted by Meta in an earlier attempt
                wamid = await self._send_one(auth, upload, send)
                if index + 1 < len(planned):
                    await self.claims.part_sent(claim, index + 1)
        return wamid, len(planned)

    async def _record_sent(
        self, claim: OutboundClaim, wamid: str | None, parts: int, mark: journey.Mark | None
    ) -> None:
        delivered = {"to": "meta", "waMessageId": wamid, "parts": parts}
        writes = [
            self.claims.sent(claim, wamid, parts),
            journey.step(
                claim.tenant_id, "outbound", claim.genesys_message_id, "delivered", mark, delivered
            ),
        ]
        if parts:
            writes.append(usage.increment(claim.tenant_id, MESSAGES_OUT, 1, usage.today()))
        async with tenant_tx(self.pool, claim.tenant_id) as conn:
            await run_together(conn, *writes)

    async def _send_one(self, auth: MetaAuth, upload: MetaCall | None, send: MetaCall) -> str:
        if upload is not None and isinstance(upload.body, MediaUpload):
            send = send.with_media_id(await self._upload(auth, upload.body))
        body = send.body
        if isinstance(body, MediaUpload | MarkRead):  # steps() never pairs these as a send
            raise TypeError(f"not a message body: {type(body).__name__}")
        tenant_id, number = auth.tenant_id or "", auth.phone_number_id
        await self.pacer.acquire("meta", tenant_id, number)
        try:
            accepted = await self.meta.send(auth, body)
        except MetaRateLimitedError as exc:
            if exc.vendor_code != _PAIR_RATE_LIMIT:  # one customer's limit: not the number's
                await self.pacer.hold("meta", tenant_id, exc.retry_after or 1.0, number)
            raise
        return accepted.messages[-1].id

    async def _upload(self, auth: MetaAuth, upload: MediaUpload) -> str:
        """Fetch the agent's attachment from Genesys and upload it to the sending number."""
        attachment = await self.attachments.download(
            upload.file.url,
            mime_type=upload.type,
            filename=upload.file.filename,
            tenant_id=auth.tenant_id,
        )
        uploaded = await self.meta.media.upload(
            auth, attachment.data, mime_type=upload.type, filename=attachment.filename
        )
        return uploaded.id

    async def _typing(self, tenant_id: str, message: OpenEventNormalizedMessage) -> Result:
        """Show the agent typing, when the customer has a message to attach it to.

        Best effort: a late typing indicator is wrong rather than useful, so a failure is
        logged and dropped, never retried.
        """
        await self.tenants.active(tenant_id)
        to_id = message.channel.to.id
        known, contact = await self._contact(tenant_id, customer_wa_id(to_id))
        number = contact.phone_number_id
        # Typing promises a reply; outside the window no reply can follow.
        if number is None or not window_open(contact.last_inbound_at, datetime.now(UTC)):
            return "no_typing"
        calls = outbound_to_meta(
            message,
            MetaTarget(
                number,
                last_inbound_wamid=lambda _: contact.last_inbound_wamid,
                recipient=addressee(known, to_id),
            ),
            tenant_id=tenant_id,
        )
        if not calls:
            return "no_typing"
        try:
            auth = await self.accounts.auth(tenant_id, number)
            for call in calls:
                if isinstance(call.body, MarkRead):
                    await self.meta.show_typing(auth, call.body.message_id)
        except (ConnectorError, CredentialsMissingError) as exc:
            log.warning("typing indicator not shown: %s", exc, extra={"tenant_id": tenant_id})
            return "no_typing"
        return "typing"

    async def _contact(
        self, tenant_id: str, customer: str
    ) -> tuple[KnownCustomer, CustomerContact]:
        """Who the customer is now (a merged key answers for its survivor) and their window."""
        async with tenant_tx(self.pool, tenant_id) as conn:
            known = await identities.known_customer(conn, tenant_id, customer)
            return known, await window.customer_contact(conn, tenant_id, known.key)

    async def _receipt(
        self, target: GenesysTenant, genesys_id: str, customer: str, failure: OutboundFailure
    ) -> None:
        body = failed_receipt(genesys_id, customer, failure, datetime.now(UTC))
        await self.pacer.acquire("genesys", target.tenant_id)
        try:
            await self.genesys.send_receipt(target, body)
        except GenesysCredentialsError:
            self.tenants.forget(target.tenant_id)
            raise
        log.info(
            "agent message failed: Failed receipt sent",
            extra={"tenant_id": target.tenant_id, "code": failure.error_code},
        )
