"""Meta statuses of the agent's messages -> Genesys receipts.

Genesys's receipt endpoint takes only ``Delivered`` and ``Failed`` (reference
``genesys-open-messaging.md`` section 5): WhatsApp ``delivered`` becomes ``Delivered`` and
``failed`` becomes ``Failed`` with the reason :mod:`connectors.meta.errors` maps the Meta code
to, so the agent-side receipt and wagen's own retry decision never disagree. ``sent``,
``read``, ``played`` and any future status have no Genesys receipt and yield nothing (Genesys
has no ``Read``; ``Sent`` is in its enum but undocumented for this endpoint).

Both receipts are final (``isFinalReceipt: true``): nothing later can be reported, because a
``read`` that follows a ``delivered`` has no receipt of its own.
"""

from __future__ import annotations

from typing import Final, Literal

from connectors.meta.errors import classify_meta_error
from connectors.translate.calls import GenesysCall
from connectors.translate.context import GenesysTarget, genesys_customer
from schemas.events import StatusReceived
from schemas.genesys.inbound import (
    ConversationReason,
    OpenInboundMessagingReceiptChannel,
    OpenInboundNormalizedReceipt,
    OpenMessagingToRecipient,
)
from schemas.meta.statuses import Status

RECEIPT_STATUSES: Final[dict[str, Literal["Delivered", "Failed"]]] = {
    "delivered": "Delivered",
    "failed": "Failed",
}
"""The WhatsApp statuses that become a Genesys receipt, and the receipt status of each."""

NO_ERROR_REASON: Final = "WhatsApp 0: failed status without an error object"
"""The reason message of a ``failed`` status that carries no ``errors`` (Meta always sends one)."""


def _reasons(status: Status, tenant_id: str) -> list[ConversationReason]:
    reasons = []
    for error in status.errors or ():
        classified = classify_meta_error(None, error.model_dump(mode="json"), tenant_id=tenant_id)
        reasons.append(
            ConversationReason.model_validate(
                {"code": classified.receipt_reason.value, "message": classified.receipt_message}
            )
        )
    return reasons or [ConversationReason(code="GeneralError", message=NO_ERROR_REASON)]


def status_to_genesys(event: StatusReceived, target: GenesysTarget) -> list[GenesysCall]:
    """The receipt of one status, or nothing.

    Nothing, too, when tracking does not know the wamid: the message was not sent for
    Genesys (a template from another tool), or it is a part of a split message that does not
    speak for the whole (see :class:`~connectors.translate.context.GenesysTarget`).
    """
    receipt_status = RECEIPT_STATUSES.get(event.type)
    if receipt_status is None:
        return []
    genesys_id = target.genesys_message_id(event.message_id)
    if genesys_id is None:
        return []
    customer_id, id_type = genesys_customer(target.customer_key or event.customer)
    body = OpenInboundNormalizedReceipt(
        id=genesys_id,
        channel=OpenInboundMessagingReceiptChannel(
            to=OpenMessagingToRecipient(id=customer_id, id_type=id_type), time=event.timestamp
        ),
        status=receipt_status,
        reasons=_reasons(event.payload, event.tenant_id) if receipt_status == "Failed" else None,
        is_final_receipt=True,
    )
    return [GenesysCall(target.integration_id, body)]
