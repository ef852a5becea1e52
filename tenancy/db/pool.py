"""The asyncpg pool of a process: created once in its lifespan, closed in ``finally``."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from tenancy.settings import PostgresSettings

log = logging.getLogger(__name__)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects rather than strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (RESET ALL, UNLISTEN, CLOSE ALL, advisory
    unlock): one more round trip per transaction, for session state wagen never creates —
    its settings are transaction-local (:mod:`tenancy.db.scope`). asyncpg still rolls back a
    transaction left open before it calls this."""


@asynccontextmanager
async def postgres_pool(settings: PostgresSettings) -> AsyncIterator[asyncpg.Pool]:
    """Open the pool (lazily connecting when ``pool_min_size`` is 0) and close it on exit."""
    pool = await asyncpg.create_pool(
        settings.dsn.get_secret_value(),
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        command_timeout=settings.command_timeout_s,
        init=_init_connection,
        reset=_keep_session,
    )
    log.info("postgres pool open", extra={"dsn": settings.dsn_for_logs})
    try:
        yield pool
    finally:
        await pool.close()
