"""Writes run together: all of them land, or none (one statement, one transaction)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from pipeline.store import mappings, tracking
from tenancy import usage
from tenancy.audit import Actor
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import Statement, run_together
from tenancy.models import TenantCreate
from tenancy.services import Tenancy


async def _usage(pool: asyncpg.Pool, tenant_id: str) -> int:
    async with tenant_tx(pool, tenant_id) as conn:
        day = usage.today()
        return await usage.total(conn, tenant_id, "messages_in", day, day)


async def test_writes_to_three_tables_land_together(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id="acme", name="Acme"), admin)
    async with tenant_tx(pool, "acme") as conn:
        await conn.execute(
            "INSERT INTO message_tracking (tenant_id, direction, wa_id, wa_message_id) "
            "VALUES ('acme', 'inbound', '15550001', 'wamid.A')"
        )
    async with tenant_tx(pool, "acme") as conn:
        await run_together(
            conn,
            tracking.sent("acme", "inbound", "wamid.A", "genesys-1"),
            mappings.touching(
                "acme",
                "15550001",
                phone_number_id="pn-1",
                contact_name="Ann",
                message_at=datetime.now(UTC),
                genesys_conversation_id="conv-1",
            ),
            usage.increment("acme", "messages_in", 2, usage.today()),
        )
    async with tenant_tx(pool, "acme") as conn:
        row = await conn.fetchrow(
            "SELECT status, genesys_message_id FROM message_tracking "
            "WHERE wa_message_id = 'wamid.A'"
        )
        mapped = await mappings.genesys_conversation_id(conn, "acme", "15550001")
    assert row is not None
    assert (row["status"], row["genesys_message_id"]) == ("sent", "genesys-1")
    assert mapped == "conv-1"
    assert await _usage(pool, "acme") == 2


async def test_one_failing_write_leaves_the_others_undone(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id="acme", name="Acme"), admin)
    broken = Statement("UPDATE message_tracking SET parts_sent = 1 / $1", (0,))

    async def both() -> None:
        async with tenant_tx(pool, "acme") as conn:
            await run_together(
                conn, usage.increment("acme", "messages_in", 1, usage.today()), broken
            )

    with pytest.raises(asyncpg.DivisionByZeroError):
        await both()
    assert await _usage(pool, "acme") == 0
