"""Finding a tenant's conversations by customer: the console's conversations page.

A search matches the start of the customer's WhatsApp id (digits; a leading ``+`` is
ignored) or any part of the contact name, case-insensitively; pages are keyset-paginated
newest first with the state API's cursors, so paging stays cheap however far it goes.
"""

from __future__ import annotations

import asyncpg

from tenancy.db.scope import tenant_tx
from tenancy.models import Mapping, MappingPage
from tenancy.state import decode_cursor, encode_cursor

MAX_QUERY = 100


def like_pattern(text: str) -> str:
    """``text`` with LIKE's wildcards and escape character taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    pool: asyncpg.Pool, tenant_id: str, *, query: str | None, limit: int, cursor: str | None
) -> MappingPage:
    """Conversations matching ``query`` (all with None), newest first.

    Raises:
        InvalidRequestError: the cursor is not one of ours.
    """
    after = decode_cursor(cursor) if cursor else None
    text = (query or "").strip()[:MAX_QUERY] or None
    digits = text.lstrip("+") if text else ""
    by_id = like_pattern(digits) + "%" if digits.isdigit() else None
    by_name = f"%{like_pattern(text)}%" if text else None
    async with tenant_tx(pool, tenant_id) as conn:
        rows = await conn.fetch(
            "SELECT wa_id, contact_name, phone_number_id, genesys_conversation_id, "
            "created_at, updated_at, last_message_at FROM conversation_mappings "
            "WHERE tenant_id = $1 "
            "AND ($2::text IS NULL OR contact_name ILIKE $2 OR wa_id LIKE $3) "
            "AND ($4::timestamptz IS NULL OR (created_at, wa_id) < ($4, $5)) "
            "ORDER BY created_at DESC, wa_id DESC LIMIT $6",
            tenant_id,
            by_name,
            by_id,
            after[0] if after else None,
            after[1] if after else None,
            limit + 1,
        )
    items = [Mapping.model_validate(dict(r)) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    next_cursor = encode_cursor(last.created_at, last.wa_id) if last else None
    return MappingPage(items=items, next_cursor=next_cursor)
