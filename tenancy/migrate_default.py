"""``wagen tenants migrate-default``: bring a single-tenant installation into tenancy.

Every tenant table requires ``tenant_id``, so rows "without a tenant" can only come from a
single-tenant install: load its tables into a schema named ``legacy`` (same table and
column names, no ``tenant_id``), then run this. Rows are *moved* (deleted from ``legacy``
and inserted under the ``default`` tenant in one transaction per table), which is what
makes a rerun a no-op; rows already present are left alone (ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from tenancy.audit import Actor, record
from tenancy.db.scope import Connection, tenant_tx
from tenancy.errors import TenantNotFoundError
from tenancy.models import CreatedApiKey, TenantCreate
from tenancy.tenants import TenantService

DEFAULT_TENANT = "default"
LEGACY_SCHEMA = "legacy"
LEGACY_TABLES = ("conversation_mappings", "message_tracking", "usage_daily")


@dataclass
class DefaultMigration:
    """What one run did."""

    created: bool
    api_key: CreatedApiKey | None = None
    moved: dict[str, int] = field(default_factory=dict)


async def _shared_columns(conn: Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT p.column_name FROM information_schema.columns p "
        "JOIN information_schema.columns l ON l.column_name = p.column_name "
        "AND l.table_schema = $2 AND l.table_name = $1 "
        "WHERE p.table_schema = 'public' AND p.table_name = $1 AND p.column_name <> 'tenant_id' "
        "ORDER BY p.ordinal_position",
        table,
        LEGACY_SCHEMA,
    )
    return [r["column_name"] for r in rows]


async def _move(conn: Connection, table: str) -> int:
    columns = await _shared_columns(conn, table)
    if not columns:
        return 0
    cols = ", ".join(f'"{c}"' for c in columns)
    # Identifiers come from information_schema and the fixed table list, never from input.
    moved = await conn.fetchval(
        f'WITH moved AS (DELETE FROM "{LEGACY_SCHEMA}"."{table}" RETURNING {cols}), '  # noqa: S608
        f'ins AS (INSERT INTO public."{table}" (tenant_id, {cols}) '
        f"SELECT $1, {cols} FROM moved ON CONFLICT DO NOTHING RETURNING 1) "
        "SELECT count(*) FROM ins",
        DEFAULT_TENANT,
    )
    return int(moved)


async def migrate_default(
    pool: asyncpg.Pool, tenants: TenantService, actor: Actor
) -> DefaultMigration:
    """Create ``default`` if missing, then move every legacy row under it; idempotent."""
    try:
        await tenants.get(DEFAULT_TENANT)
        result = DefaultMigration(created=False)
    except TenantNotFoundError:
        made = await tenants.create(TenantCreate(tenant_id=DEFAULT_TENANT, name="Default"), actor)
        result = DefaultMigration(created=True, api_key=made.api_key)
    for table in LEGACY_TABLES:
        async with tenant_tx(pool, DEFAULT_TENANT) as conn:
            exists = await conn.fetchval(
                "SELECT to_regclass($1) IS NOT NULL", f"{LEGACY_SCHEMA}.{table}"
            )
            if not exists:
                continue
            moved = await _move(conn, table)
            if moved:
                await record(
                    conn,
                    actor,
                    tenant_id=DEFAULT_TENANT,
                    action="tenant.migrate_default",
                    target=table,
                    details={"rows": moved},
                )
            result.moved[table] = moved
    return result
