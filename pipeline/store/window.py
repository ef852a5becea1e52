"""What the outbound direction knows about a customer from inbound traffic: the business
number they write to, when they last wrote, and their latest message.

WhatsApp's customer-service window is 24 hours from the customer's last message *to one
business number*. The inbound path keeps ``conversation_mappings`` current for each
(tenant, customer) with the number written to and ``last_message_at`` (Meta's timestamp of
the message, never moved back by a retried old message), and the agent's reply goes out
from that same number, so (tenant, that number, customer) is exactly the window the reply
needs. A customer who last wrote to another number of the tenant is answered from that
other number, whose window is the one we know.

The latest inbound wamid comes from ``message_tracking``: Meta shows an agent's typing only
as a mark-as-read on a customer message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tenancy.db.scope import Connection


@dataclass(frozen=True)
class CustomerContact:
    """The inbound facts about one customer of one tenant.

    Attributes:
        phone_number_id: the business number the customer last wrote to.
        last_inbound_at: when they last wrote (Meta's timestamp), ``None`` if never.
        last_inbound_wamid: their latest message carried to Genesys, if any.
    """

    phone_number_id: str | None
    last_inbound_at: datetime | None
    last_inbound_wamid: str | None


NEVER_WROTE = CustomerContact(None, None, None)
"""A customer with no inbound traffic: the window is closed, there is nothing to mark read."""


async def customer_contact(conn: Connection, tenant_id: str, wa_id: str) -> CustomerContact:
    """The inbound facts about ``wa_id`` (:data:`NEVER_WROTE` for a customer never seen)."""
    row = await conn.fetchrow(
        "SELECT m.phone_number_id, m.last_message_at, ("
        "  SELECT t.wa_message_id FROM message_tracking t"
        "  WHERE t.tenant_id = $1 AND t.direction = 'inbound' AND t.wa_id = $2"
        "  AND t.wa_message_id IS NOT NULL ORDER BY t.created_at DESC LIMIT 1"
        ") AS last_wamid "
        "FROM (SELECT 1) AS one "
        "LEFT JOIN conversation_mappings m ON m.tenant_id = $1 AND m.wa_id = $2",
        tenant_id,
        wa_id,
    )
    if row is None:
        return NEVER_WROTE
    return CustomerContact(
        phone_number_id=row["phone_number_id"],
        last_inbound_at=row["last_message_at"],
        last_inbound_wamid=row["last_wamid"],
    )
