"""The audit trail: who did what to which tenant, written in the same transaction as the change.

Writing the entry inside the caller's transaction means a change and its audit line commit
or roll back together: there is no change without its line and no line for a change that
did not happen. The table is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from tenancy.db.scope import Connection, tenant_tx
from tenancy.errors import InvalidRequestError
from tenancy.models import AuditEntry, AuditPage


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit log names them.

    Attributes:
        label: ``admin:token``, ``admin:jwt:<sub>``, ``tenant:<id>:key:<prefix>``,
            ``tenant:<id>:jwt:<sub>``, ``tenant:<id>:host`` or ``cli:<user>``.
        request_id: the HTTP request id, when the action came over HTTP.
    """

    label: str
    request_id: str | None = None


async def record(
    conn: Connection,
    actor: Actor,
    *,
    tenant_id: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry; ``details`` must never hold a secret (callers pass metadata only)."""
    await conn.execute(
        "INSERT INTO audit_log (tenant_id, actor, action, target, details, request_id) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        tenant_id,
        actor.label,
        action,
        target,
        details or {},
        actor.request_id,
    )


async def list_entries(
    pool: asyncpg.Pool, tenant_id: str, *, limit: int, cursor: int | None
) -> AuditPage:
    """Entries of one tenant, newest first, keyset-paginated by ``audit_id``."""
    async with tenant_tx(pool, tenant_id) as conn:
        rows = await conn.fetch(
            "SELECT audit_id, tenant_id, actor, action, target, details, request_id, created_at "
            "FROM audit_log WHERE tenant_id = $1 AND ($2::bigint IS NULL OR audit_id < $2) "
            "ORDER BY audit_id DESC LIMIT $3",
            tenant_id,
            cursor,
            limit + 1,
        )
    items = [AuditEntry.model_validate(dict(row)) for row in rows[:limit]]
    next_cursor = str(items[-1].audit_id) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)


def parse_cursor(cursor: str | None) -> int | None:
    """The ``audit_id`` a listing cursor names."""
    if cursor is None:
        return None
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        raise InvalidRequestError("invalid cursor")
    return int(cursor)
