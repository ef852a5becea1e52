"""Transactions that say whose rows they may touch, for the row-level security policies.

Every query on a tenant table runs inside one of these. ``tenant_tx`` sets
``wagen.tenant_id`` for the transaction only (``set_config(..., true)``), so a pooled
connection never carries one tenant's setting into another's request. ``batch_tx`` is for
the worker's group commits, whose one statement carries rows of several tenants (the tenant
on each row): it names exactly those tenants (``wagen.tenant_ids``), and a row of any other
tenant stays invisible and unwritable. ``platform_tx`` is the one escape for cross-tenant
work and is deliberately easy to grep for.

``BEGIN`` and the setting travel in one round trip (the hot path runs a few of these per
message): the tenant id goes into that statement as a literal only when it matches the
tenant-id pattern, which admits no quote; anything else takes the bound-parameter way.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from tenancy.models import TENANT_ID_PATTERN

if TYPE_CHECKING:
    Connection: TypeAlias = PoolConnectionProxy[asyncpg.Record]
else:  # asyncpg's proxy is generic only in its stubs
    Connection = PoolConnectionProxy

_LITERAL_SAFE: Final = re.compile(TENANT_ID_PATTERN)
_PLATFORM_BEGIN: Final = "BEGIN; SELECT set_config('wagen.scope', 'platform', true)"


async def _begin_as(conn: Connection, tenant_id: str) -> None:
    if _LITERAL_SAFE.fullmatch(tenant_id):
        await conn.execute(f"BEGIN; SELECT set_config('wagen.tenant_id', '{tenant_id}', true)")
        return
    await conn.execute("BEGIN")
    await conn.execute("SELECT set_config('wagen.tenant_id', $1, true)", tenant_id)


@asynccontextmanager
async def _transaction(conn: Connection) -> AsyncIterator[Connection]:
    """COMMIT on success, ROLLBACK on any error (the error, not a failed rollback, surfaces:
    a connection that cannot roll back is rolled back or dropped by the pool on release)."""
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")


@asynccontextmanager
async def tenant_tx(pool: asyncpg.Pool, tenant_id: str) -> AsyncIterator[Connection]:
    """A transaction that sees and writes the rows of ``tenant_id`` only."""
    if not tenant_id:
        raise ValueError("tenant_tx needs a tenant id")
    async with pool.acquire() as conn:
        await _begin_as(conn, tenant_id)
        async with _transaction(conn):
            yield conn


@asynccontextmanager
async def batch_tx(pool: asyncpg.Pool, tenant_ids: Collection[str]) -> AsyncIterator[Connection]:
    """A transaction that sees and writes the rows of exactly ``tenant_ids`` (a batch)."""
    names = sorted(set(tenant_ids))
    if not names or not all(_LITERAL_SAFE.fullmatch(name) for name in names):
        raise ValueError("batch_tx needs tenant ids that match the tenant-id pattern")
    async with pool.acquire() as conn:
        # Safe as a literal: the pattern admits no quote and no comma.
        await conn.execute(
            f"BEGIN; SELECT set_config('wagen.tenant_ids', '{','.join(names)}', true)"
        )
        async with _transaction(conn):
            yield conn


@asynccontextmanager
async def platform_tx(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A transaction across all tenants: admin listings, key and subdomain lookups, purges."""
    async with pool.acquire() as conn:
        await conn.execute(_PLATFORM_BEGIN)
        async with _transaction(conn):
            yield conn
