"""Row-level security: a forgotten WHERE still sees one tenant only, as the app role."""

from __future__ import annotations

import asyncpg
import pytest

from pipeline.settings import WagenSettings
from pipeline.store import identities
from schemas.events import CustomerIds
from tenancy.audit import Actor
from tenancy.db.pool import postgres_pool
from tenancy.db.scope import batch_tx, platform_tx, tenant_tx
from tenancy.models import MappingCreate, TenantCreate
from tenancy.services import Tenancy

TENANT_TABLES = [
    "tenant_api_keys",
    "conversation_mappings",
    "message_tracking",
    "usage_daily",
    "audit_log",
    "customer_identities",
]
BATCHED_TABLES = ["message_tracking", "conversation_mappings", "usage_daily", "customer_identities"]
"""The tables the worker's group commits write with several tenants in one statement."""


async def _two_tenants(tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool) -> None:
    for tenant in ("tenant-a", "tenant-b"):
        await tenancy.tenants.create(TenantCreate(tenant_id=tenant, name=tenant.upper()), admin)
    await tenancy.state.upsert_mapping(
        "tenant-a", MappingCreate(wa_id="15550001", contact_name="Ann"), admin
    )
    await tenancy.quota.consume("tenant-a", "starter")
    async with tenant_tx(pool, "tenant-a") as conn:
        await conn.execute(
            "INSERT INTO message_tracking (tenant_id, direction, wa_id) "
            "VALUES ('tenant-a', 'inbound', '15550001')"
        )
        await identities.customer_key(conn, "tenant-a", CustomerIds(wa_id="15550002"))


async def test_app_role_cannot_bypass_rls(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert role is not None
        assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
        flags = await conn.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY($1::text[])",
            [*TENANT_TABLES, "tenants"],
        )
    assert len(flags) == len(TENANT_TABLES) + 1
    assert all(f["relrowsecurity"] and f["relforcerowsecurity"] for f in flags)


async def test_every_table_with_a_tenant_id_forces_row_level_security(pool: asyncpg.Pool) -> None:
    """A table added later (media, phone numbers, ...) cannot forget its policy."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS ("
            "  SELECT 1 FROM information_schema.columns col WHERE col.table_schema = 'public'"
            "  AND col.table_name = c.relname AND col.column_name = 'tenant_id')"
        )
    names = {r["relname"] for r in rows}
    assert {*TENANT_TABLES, "tenants", "tenant_phone_numbers", "media_objects"} <= names
    unguarded = [
        r["relname"] for r in rows if not (r["relrowsecurity"] and r["relforcerowsecurity"])
    ]
    assert unguarded == []


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_raw_select_with_tenant_b_set_sees_nothing_of_a(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool, table: str
) -> None:
    await _two_tenants(tenancy, admin, pool)
    async with tenant_tx(pool, "tenant-a") as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") > 0  # noqa: S608 (fixed names)
    async with tenant_tx(pool, "tenant-b") as conn:
        # No WHERE on purpose: the policy alone keeps tenant A's rows out.
        rows = await conn.fetch(f"SELECT * FROM {table}")  # noqa: S608 (fixed names)
        assert all(r["tenant_id"] == "tenant-b" for r in rows)
        assert not [r for r in rows if r["tenant_id"] == "tenant-a"]


async def test_no_scope_sees_nothing_and_writes_nothing(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await _two_tenants(tenancy, admin, pool)
    async with pool.acquire() as conn:
        for table in [*TENANT_TABLES, "tenants"]:
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0  # noqa: S608
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO conversation_mappings (tenant_id, wa_id) VALUES ('tenant-a', '1')"
            )


async def test_tenant_scope_cannot_write_into_another_tenant(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await _two_tenants(tenancy, admin, pool)
    async with tenant_tx(pool, "tenant-b") as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO conversation_mappings (tenant_id, wa_id) VALUES ('tenant-a', '2')"
            )
    async with tenant_tx(pool, "tenant-b") as conn:
        # An UPDATE without WHERE touches only tenant B's rows (none here).
        assert (
            await conn.execute("UPDATE conversation_mappings SET contact_name = 'x'") == "UPDATE 0"
        )


async def _fail_after_an_update(pool: asyncpg.Pool, tenant_id: str) -> None:
    """A tenant transaction that writes, then fails: it must roll back."""

    async def update_then_fail() -> None:
        async with tenant_tx(pool, tenant_id) as conn:
            await conn.execute("UPDATE conversation_mappings SET contact_name = 'rolled back'")
            await conn.execute("SELECT 1/0")

    with pytest.raises(asyncpg.DivisionByZeroError):
        await update_then_fail()


async def test_setting_does_not_leak_to_the_next_transaction(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool, tenancy_settings: WagenSettings
) -> None:
    await _two_tenants(tenancy, admin, pool)
    # wagen's own pool (released without asyncpg's reset query), one physical connection.
    one = tenancy_settings.postgres.model_copy(update={"pool_min_size": 1, "pool_max_size": 1})
    async with postgres_pool(one) as single:
        async with tenant_tx(single, "tenant-a") as conn:
            assert await conn.fetchval("SELECT count(*) FROM conversation_mappings") == 1
        async with single.acquire() as conn:  # same physical connection, no scope set
            assert await conn.fetchval("SELECT count(*) FROM conversation_mappings") == 0
        await _fail_after_an_update(single, "tenant-a")
        async with single.acquire() as conn:  # the failed transaction left nothing behind
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT current_setting('wagen.tenant_id', true)") in (
                None,
                "",
            )
        async with platform_tx(single) as conn:
            assert await conn.fetchval("SELECT count(*) FROM tenants") == 2
            names = await conn.fetchval(
                "SELECT count(*) FROM conversation_mappings WHERE contact_name = 'rolled back'"
            )
            assert names == 0


async def test_audit_log_is_append_only(tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool) -> None:
    await _two_tenants(tenancy, admin, pool)
    async with platform_tx(pool) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("DELETE FROM audit_log")
    async with platform_tx(pool) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("UPDATE audit_log SET actor = 'someone else'")
    async with platform_tx(pool) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("TRUNCATE audit_log")


async def test_a_tenant_id_outside_the_pattern_is_bound_not_inlined(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await _two_tenants(tenancy, admin, pool)
    # A quote would end an inlined literal: this id must travel as a bound parameter.
    async with tenant_tx(pool, "x', true); SELECT set_config('wagen.scope', 'platform") as conn:
        assert await conn.fetchval("SELECT count(*) FROM conversation_mappings") == 0
        assert await conn.fetchval("SELECT current_setting('wagen.scope', true)") in (None, "")


@pytest.mark.parametrize("table", BATCHED_TABLES)
async def test_a_batch_sees_and_writes_its_own_tenants_and_no_other(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool, table: str
) -> None:
    await _two_tenants(tenancy, admin, pool)
    await tenancy.tenants.create(TenantCreate(tenant_id="tenant-c", name="C"), admin)
    async with batch_tx(pool, ["tenant-b", "tenant-c"]) as conn:
        # tenant-a has rows in every batched table; a batch of b and c sees none of them
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0  # noqa: S608 (fixed names)
    async with batch_tx(pool, ["tenant-a", "tenant-c"]) as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") > 0  # noqa: S608 (fixed names)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with batch_tx(pool, ["tenant-b", "tenant-c"]) as conn:
            await conn.execute(
                "INSERT INTO usage_daily (tenant_id, day, metric, value) "
                "VALUES ('tenant-a', current_date, 'messages_in', 1)"
            )


async def test_a_batch_names_tenants_by_the_pattern_only(pool: asyncpg.Pool) -> None:
    for bad in ([], ["tenant-a,tenant-b"], ["o'brien"]):
        with pytest.raises(ValueError, match="tenant-id pattern"):
            async with batch_tx(pool, bad):
                pass
