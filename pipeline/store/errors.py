"""Errors of the pipeline's stores, below :class:`~pipeline.errors.PipelineError`."""

from __future__ import annotations

from connectors.genesys.errors import GenesysReceiptReason
from pipeline.errors import PipelineError


class StoreError(PipelineError):
    """Category root of the stores' own outcomes."""

    code = "store_error"


class ClaimBusyError(StoreError):
    """Another worker holds the delivery claim of this message right now.

    A duplicate arriving while the first copy is in flight (a rebalance redelivery, a
    replay): it is retried after the holder's lease, by which time the first copy is either
    delivered (the retry is skipped) or its holder died (the retry takes the claim over).

    Attributes:
        retry_after: seconds until the holder's lease runs out.
    """

    code = "claim_busy"
    retriable = True

    def __init__(self, message: str, *, retry_after: float, tenant_id: str | None = None) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.retry_after = retry_after


class RecipientOptedOutError(StoreError):
    """The customer stopped marketing messages: a proactive send (a template) must not go.

    Agent replies inside the customer-service window are service messages and are not
    refused; only what the business starts is. ``receipt_reason`` is the Genesys reason the
    agent's Failed receipt carries (:func:`pipeline.worker.outbound_policy.receipt_reason`
    reads it), so Genesys shows the refusal as ``RecipientOptedOut``.
    """

    code = "recipient_opted_out"
    retriable = False
    receipt_reason = GenesysReceiptReason.RECIPIENT_OPTED_OUT
