"""Transactions that say whose rows they may touch, for the row-level security policies.

Every query on a tenant table runs inside one of these. ``tenant_tx`` sets
``wagen.tenant_id`` for the transaction only (``set_config(..., true)``), so a pooled
connection never carries one tenant's setting into another's request. ``platform_tx`` is the
one escape for cross-tenant work and is deliberately easy to grep for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

if TYPE_CHECKING:
    Connection: TypeAlias = PoolConnectionProxy[asyncpg.Record]
else:  # asyncpg's proxy is generic only in its stubs
    Connection = PoolConnectionProxy


@asynccontextmanager
async def tenant_tx(pool: asyncpg.Pool, tenant_id: str) -> AsyncIterator[Connection]:
    """A transaction that sees and writes the rows of ``tenant_id`` only."""
    if not tenant_id:
        raise ValueError("tenant_tx needs a tenant id")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('wagen.tenant_id', $1, true)", tenant_id)
        yield conn


@asynccontextmanager
async def platform_tx(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A transaction across all tenants: admin listings, key and subdomain lookups, purges."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('wagen.scope', 'platform', true)")
        yield conn
