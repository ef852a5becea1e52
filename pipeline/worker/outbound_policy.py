"""The outbound direction's decisions, pure: is the customer-service window open, and what
does a failure of an agent's message become.

A failure is one of:

* **final, told to the agent** — the window is closed (ours or Meta's 131047), or a
  permanent refusal, or retries are spent: a ``Failed`` receipt with the reason Meta's code
  maps to (:mod:`connectors.meta.errors`), so the agent sees the message did not go. Every
  such failure but a closed window also goes to the DLQ, for an operator: a closed window is
  ordinary business (only a template can reach the customer), not a fault;
* **not final** — retryable (429 with its ``Retry-After``, 5xx, timeouts of idempotent
  calls, dependencies down) or the tenant cannot take it now (credentials missing): the
  retry or held topic, as :func:`pipeline.worker.routing.decide` says, no receipt yet;
* **unknown outcome** — a send that timed out may have reached Meta, which has no
  idempotency key: repeating it could deliver the message twice and a Failed receipt could
  be a lie, so it goes to the DLQ for an operator to decide, without a receipt.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from connectors.errors import ConnectorTransportError
from connectors.genesys.errors import GenesysReceiptReason
from connectors.meta.errors import META_ERROR_CODES, MetaError, MetaWindowClosedError
from connectors.translate import GenesysPayloadError, genesys_customer
from pipeline.kafka.retry import BackoffPolicy
from pipeline.store.outbound import OutboundFailure
from pipeline.worker.errors import WorkerError
from pipeline.worker.routing import decide, error_code
from schemas.genesys import OpenInboundNormalizedReceipt
from schemas.genesys.inbound import (
    ConversationReason,
    OpenInboundMessagingReceiptChannel,
    OpenMessagingToRecipient,
)

SERVICE_WINDOW: Final = timedelta(hours=24)
"""WhatsApp's customer-service window: free-form messages only this long after the customer's
last message to the number (reference ``meta-whatsapp.md`` section 6)."""

WINDOW_CLOSED_CODE: Final = 131047
"""Meta's code for a send outside the window; our own check reports the same code."""

_MAX_REASON: Final = 500


class SendOutcomeUnknownError(WorkerError):
    """A Meta send timed out after it may have reached Meta: neither repeated nor reported.

    Meta has no idempotency key for sends, so a retry could deliver the message twice; a
    Failed receipt could tell the agent a delivered message failed. The record goes to the
    DLQ with the claim released, so ``wagen dlq replay`` resends the unconfirmed part once an
    operator has decided it did not arrive.
    """

    code = "meta_send_outcome_unknown"
    retriable = False


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a free-form message may go to a customer who last wrote at ``last_inbound_at``."""
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW


def window_closed(tenant_id: str, last_inbound_at: datetime | None) -> MetaWindowClosedError:
    """The error of a send our own check refused: worded as Meta's 131047, same receipt."""
    rule = META_ERROR_CODES[WINDOW_CLOSED_CODE]
    since = "never wrote" if last_inbound_at is None else f"last wrote {last_inbound_at}"
    return MetaWindowClosedError(
        f"customer service window closed (customer {since}): not sent to Meta",
        vendor_code=WINDOW_CLOSED_CODE,
        reason=rule.reason,
        receipt_reason=rule.receipt_reason,
        tenant_id=tenant_id,
    )


def outcome_unknown(exc: BaseException) -> bool:
    """A Meta send that may have been delivered although we got no answer."""
    return (
        isinstance(exc, ConnectorTransportError)
        and exc.vendor == "meta"
        and exc.operation == "send"
        and exc.maybe_sent
    )


def receipt_reason(exc: BaseException) -> tuple[GenesysReceiptReason, str]:
    """The ``Failed`` receipt's reason code and message for a failure."""
    if isinstance(exc, MetaError):
        return exc.receipt_reason, exc.receipt_message[:_MAX_REASON]
    reason = getattr(exc, "receipt_reason", None)
    if not isinstance(reason, GenesysReceiptReason):
        reason = GenesysReceiptReason.GENERAL_ERROR
        if isinstance(exc, GenesysPayloadError):
            reason = (
                GenesysReceiptReason.INVALID_DESTINATION
                if exc.field == "channel.to.id"
                else GenesysReceiptReason.INVALID_MESSAGE_STRUCTURE
            )
    text = str(exc) or type(exc).__name__
    return reason, f"wagen {error_code(exc)}: {text}"[:_MAX_REASON]


def final_failure(
    exc: BaseException, attempt: int, policy: BackoffPolicy
) -> OutboundFailure | None:
    """The failure to report to the agent, or ``None`` while it is not final (or unknown).

    Args:
        exc: what failed while sending the agent's message.
        attempt: the attempt (from 1) that failed.
        policy: the retry schedule, which says when retrying is over.
    """
    if isinstance(exc, MetaWindowClosedError):
        code, message = receipt_reason(exc)
        return OutboundFailure(code.value, message, error_code(exc), str(exc), dead_letter=False)
    if outcome_unknown(exc):
        return None
    decision = decide(exc, attempt, policy)
    if decision.destination != "dlq":
        return None
    code, message = receipt_reason(exc)
    return OutboundFailure(code.value, message, decision.code, decision.error, dead_letter=True)


def failed_receipt(
    genesys_id: str, customer: str, failure: OutboundFailure, at: datetime
) -> OpenInboundNormalizedReceipt:
    """The ``Failed`` receipt of an agent's message (``customer``: the ``wa_id`` it went to)."""
    customer_id, id_type = genesys_customer(customer)
    return OpenInboundNormalizedReceipt(
        id=genesys_id,
        channel=OpenInboundMessagingReceiptChannel(
            to=OpenMessagingToRecipient(id=customer_id, id_type=id_type), time=at
        ),
        status="Failed",
        reasons=[
            ConversationReason.model_validate(
                {"code": failure.receipt_code, "message": failure.receipt_message}
            )
        ],
        is_final_receipt=True,
    )
