"""The tenant-scoped state API's storage: conversation mappings, stats.

Every function runs in ``tenant_tx`` *and* filters by ``tenant_id``: the WHERE clause is
the first guard, row-level security the second. Another tenant's mapping is therefore
indistinguishable from a missing one (both are ``NotFoundError`` -> 404).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import asyncpg

from tenancy import usage
from tenancy.audit import Actor, record
from tenancy.db.scope import tenant_tx
from tenancy.errors import InvalidRequestError, NotFoundError
from tenancy.models import Mapping, MappingCreate, MappingPage, Stats


def _mapping(row: asyncpg.Record) -> Mapping:
    return Mapping.model_validate({k: row[k] for k in Mapping.model_fields})


def encode_cursor(created_at: datetime, wa_id: str) -> str:
    """An opaque cursor for keyset pagination over (created_at, wa_id)."""
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{wa_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor names; ``InvalidRequestError`` when it is not one of ours."""
    try:
        stamp, wa_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(stamp), wa_id
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidRequestError("invalid cursor") from exc


class StateService:
    """Mappings and counters of one tenant at a time."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool, for the read-only reports that live in their own modules (usage, audit)."""
        return self._pool

    async def upsert_mapping(
        self, tenant_id: str, body: MappingCreate, actor: Actor
    ) -> tuple[Mapping, bool]:
        """Create the mapping (or update its contact name); True when it was created."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "INSERT INTO conversation_mappings (tenant_id, wa_id, contact_name) "
                "VALUES ($1, $2, $3) ON CONFLICT (tenant_id, wa_id) DO UPDATE SET "
                "contact_name = coalesce(EXCLUDED.contact_name, "
                "conversation_mappings.contact_name), "
                "updated_at = now() "
                "RETURNING wa_id, contact_name, phone_number_id, genesys_conversation_id, "
                "created_at, updated_at, last_message_at, (xmax = 0) AS created",
                tenant_id,
                body.wa_id,
                body.contact_name,
            )
            assert row is not None  # an upsert always returns its row
            await record(
                conn,
                actor,
                tenant_id=tenant_id,
                action="mapping.create" if row["created"] else "mapping.update",
                target=body.wa_id,
            )
        return _mapping(row), bool(row["created"])

    async def get_mapping(self, tenant_id: str, wa_id: str) -> Mapping:
        """One mapping of this tenant; another tenant's is reported exactly like a missing one."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "SELECT wa_id, contact_name, phone_number_id, genesys_conversation_id, "
                "created_at, updated_at, last_message_at "
                "FROM conversation_mappings WHERE tenant_id = $1 AND wa_id = $2",
                tenant_id,
                wa_id,
            )
        if row is None:
            raise NotFoundError("no such mapping", tenant_id=tenant_id)
        return _mapping(row)

    async def conversations(self, tenant_id: str, *, limit: int, cursor: str | None) -> MappingPage:
        """Mappings newest first, keyset-paginated."""
        after = decode_cursor(cursor) if cursor else None
        async with tenant_tx(self._pool, tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT wa_id, contact_name, phone_number_id, genesys_conversation_id, "
                "created_at, updated_at, last_message_at FROM conversation_mappings "
                "WHERE tenant_id = $1 "
                "AND ($2::timestamptz IS NULL OR (created_at, wa_id) < ($2, $3)) "
                "ORDER BY created_at DESC, wa_id DESC LIMIT $4",
                tenant_id,
                after[0] if after else None,
                after[1] if after else None,
                limit + 1,
            )
        items = [_mapping(r) for r in rows[:limit]]
        last = items[-1] if len(rows) > limit else None
        next_cursor = encode_cursor(last.created_at, last.wa_id) if last else None
        return MappingPage(items=items, next_cursor=next_cursor)

    async def stats(self, tenant_id: str, plan: str, monthly_limit: int | None) -> Stats:
        """Counts of mappings and messages, today's and this month's usage, and this month's
        cost per Meta pricing category."""
        day = usage.today()
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM conversation_mappings WHERE tenant_id = $1) AS maps, "
                # Messages either way and business-app echoes; not call notices or callbacks.
                "(SELECT count(*) FROM message_tracking WHERE tenant_id = $1 "
                " AND direction IN ('inbound', 'outbound', 'echo')) AS messages, "
                "(SELECT count(*) FROM conversation_mappings WHERE tenant_id = $1 "
                " AND last_message_at > now() - interval '24 hours') AS active",
                tenant_id,
            )
            assert row is not None  # a SELECT without FROM always returns one row
            today = await usage.total(conn, tenant_id, usage.MESSAGES, day, day)
            month = await usage.metric_totals(conn, tenant_id, usage.month_start(day), day)
        return Stats(
            tenant_id=tenant_id,
            total_mappings=row["maps"],
            total_messages=row["messages"],
            active_conversations=row["active"],
            today_messages=today,
            month_messages=month.get(usage.MESSAGES, 0),
            plan=plan,
            monthly_limit=monthly_limit,
            month_pricing=usage.pricing_of(month),
        )
