"""``conversation_mappings``: one row per (tenant, customer), kept current by inbound traffic.

The outbound direction reads it to know which business number answers a customer, and
operators read the contact name and last activity from it. Only newer facts win: a retried
old message never moves ``last_message_at`` back.
"""

from __future__ import annotations

from datetime import datetime

from tenancy.db.scope import Connection
from tenancy.db.statements import Statement


def touching(
    tenant_id: str,
    wa_id: str,
    *,
    phone_number_id: str,
    contact_name: str | None,
    message_at: datetime,
    genesys_conversation_id: str | None,
) -> Statement:
    """Creating or refreshing the customer's mapping from one inbound message."""
    return Statement(
        "INSERT INTO conversation_mappings (tenant_id, wa_id, phone_number_id, contact_name, "
        "last_message_at, genesys_conversation_id) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (tenant_id, wa_id) DO UPDATE SET "
        "phone_number_id = EXCLUDED.phone_number_id, "
        "contact_name = coalesce(EXCLUDED.contact_name, conversation_mappings.contact_name), "
        "genesys_conversation_id = coalesce(EXCLUDED.genesys_conversation_id, "
        "conversation_mappings.genesys_conversation_id), "
        "last_message_at = greatest(conversation_mappings.last_message_at, "
        "EXCLUDED.last_message_at), updated_at = now()",
        (tenant_id, wa_id, phone_number_id, contact_name, message_at, genesys_conversation_id),
    )


async def genesys_conversation_id(conn: Connection, tenant_id: str, wa_id: str) -> str | None:
    """The Genesys conversation the customer's messages last went to, if Genesys said."""
    found = await conn.fetchval(
        "SELECT genesys_conversation_id FROM conversation_mappings "
        "WHERE tenant_id = $1 AND wa_id = $2",
        tenant_id,
        wa_id,
    )
    return str(found) if found is not None else None
