"""Migrations against a real PostgreSQL: applied once, recorded, guarded, concurrent-safe."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tenancy.db.migrate import Migration, applied_migrations, load_migrations, migrate
from tenancy.errors import MigrationError

BASE_TABLES = {
    "tenants",
    "tenant_api_keys",
    "conversation_mappings",
    "message_tracking",
    "usage_daily",
    "audit_log",
}


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def test_migrate_creates_base_tables_once(empty_database: str) -> None:
    conn = await asyncpg.connect(empty_database)
    try:
        first = await migrate(conn)
        assert [m.version for m in first] == [m.version for m in load_migrations()]
        assert BASE_TABLES | {"schema_migrations"} <= await _tables(conn)
        assert await migrate(conn) == []
        recorded = await applied_migrations(conn)
        assert recorded == {m.version: m.checksum for m in load_migrations()}
    finally:
        await conn.close()


async def test_concurrent_migrators_apply_each_file_once(empty_database: str) -> None:
    conns = [await asyncpg.connect(empty_database) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, len(load_migrations())]
    finally:
        for conn in conns:
            await conn.close()


async def test_an_edited_migration_is_refused(migrated_database: str) -> None:
    edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in load_migrations()]
    conn = await asyncpg.connect(migrated_database)
    try:
        with pytest.raises(MigrationError, match="edited after it was applied"):
            await migrate(conn, edited)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_done(migrated_database: str) -> None:
    broken = [*load_migrations(), Migration(999, "broken", "CREATE TABLE x (a int); SELECT 1/0;")]
    conn = await asyncpg.connect(migrated_database)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, broken)
        assert "x" not in await _tables(conn)
        assert 999 not in await applied_migrations(conn)
    finally:
        await conn.close()


async def test_tracking_rejects_a_duplicate_vendor_message(migrated_database: str) -> None:
    conn = await asyncpg.connect(migrated_database)
    try:
        # Row-level security: nothing is visible or writable without a scope.
        async with conn.transaction():
            await conn.execute("SELECT set_config('wagen.scope', 'platform', true)")
            await conn.execute("INSERT INTO tenants (tenant_id, name) VALUES ('acme', 'Acme')")
            insert = (
                "INSERT INTO message_tracking (tenant_id, direction, wa_id, wa_message_id) "
                "VALUES ('acme', 'inbound', '15550001', 'wamid.X') ON CONFLICT DO NOTHING"
            )
            assert await conn.execute(insert) == "INSERT 0 1"
            # At-least-once redelivery of the same Meta message is absorbed by the database.
            assert await conn.execute(insert) == "INSERT 0 0"
            count = await conn.fetchval("SELECT count(*) FROM message_tracking")
            assert count == 1
    finally:
        await conn.close()
