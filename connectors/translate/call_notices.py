"""WhatsApp calls -> Genesys: Open Messaging carries no voice, so a call the customer placed
becomes a notice in their conversation ("the customer tried to call you at …").

Only a customer's call attempt is news for an agent: the ``connect`` event of a
``USER_INITIATED`` call (the first event of every call; wagen cannot answer it, having no
WebRTC stack). The call's ``terminate``, and every event of a business-initiated call (placed
by some other tool through the Calling API), yield nothing. The notice is an inbound message
whose ``messageId`` is the call id, so a redelivered webhook names the same message; its
routing attribute ``wa_message_origin`` is ``call``. Where the tenant enables callbacks the
pipeline first asks Genesys for one and passes the outcome (:class:`CallbackNote`) so the
notice can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connectors.translate.calls import GenesysCall
from connectors.translate.context import GenesysTarget
from connectors.translate.routing_context import customer_channel
from schemas.events import CallReceived
from schemas.genesys.inbound import OpenInboundNormalizedMessage

CallbackState = Literal["requested", "off", "no_number", "refused"]
"""What became of the callback: asked of Genesys, not enabled for the tenant, impossible
without a phone number (a customer known only by a business-scoped user id), or refused."""


@dataclass(frozen=True, slots=True)
class CallbackNote:
    """The callback outcome a notice reports.

    Attributes:
        state: see :data:`CallbackState`.
        number: the number Genesys calls back (``requested``).
        reason: why Genesys refused (``refused``), in words.
    """

    state: CallbackState
    number: str | None = None
    reason: str | None = None


def notifies_agent(event: CallReceived) -> bool:
    """Whether the call event is one the agent is told about: the customer's call attempt."""
    return event.payload.user_initiated and event.payload.event == "connect"


def call_notice_to_genesys(
    event: CallReceived, target: GenesysTarget, callback: CallbackNote | None = None
) -> list[GenesysCall]:
    """The notice of a customer's call attempt (empty for any other call event).

    ``callback`` is ``None`` when nobody asked (a dry run): the notice then says nothing
    about callbacks.
    """
    if not notifies_agent(event):
        return []
    call = event.payload
    who = event.contact_name or "The customer"
    when = event.timestamp.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"{who} tried to call you on WhatsApp at {when}.",
        "WhatsApp calls cannot reach Genesys through this messaging channel.",
    ]
    if callback is not None:
        lines.append(_callback_line(callback))
    facts = {
        "source": "whatsapp",
        "message_origin": "call",
        "message_type": "call",
        "wagen_event_id": str(event.event_id),
        "waba_id": event.waba_id,
        "phone_number_id": event.phone_number_id,
        "display_phone_number": event.display_phone_number,
        "call_id": call.id,
        "call_event": call.event,
        "call_direction": call.direction or "",
        "callback": callback.state if callback else "",
    }
    channel = customer_channel(
        event,
        target,
        customer=event.customer,
        name=event.contact_name or None,
        message_id=call.id,
        origin="call",
    )
    body = OpenInboundNormalizedMessage(
        channel=channel,
        text="\n".join(lines),
        metadata={key: value for key, value in facts.items() if value},
    )
    return [GenesysCall(target.integration_id, body)]


def _callback_line(note: CallbackNote) -> str:
    if note.state == "requested":
        return f"A Genesys callback to {note.number} was requested."
    if note.state == "no_number":
        return "No callback: WhatsApp gave no phone number for this customer."
    if note.state == "refused":
        return f"No callback: Genesys refused it ({note.reason or 'no reason given'})."
    return "Reply here, or call them back."
