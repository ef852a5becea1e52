"""The stores' own counters, read before and after a measurement: what each message cost
PostgreSQL and Redis, as the servers count it (not as wagen believes it asked).

* PostgreSQL: ``pg_stat_database`` of the run's database — transactions committed and
  rolled back (``xact_commit`` + ``xact_rollback``); and, when the ``pg_stat_statements``
  extension is loaded (the local stack preloads it), the statements executed in that
  database (``calls``, utility statements such as BEGIN/COMMIT included): every one is a
  round trip, since wagen pipelines none.
* Redis: ``INFO commandstats`` — calls per command, ``EVALSHA`` included; every command
  travels in its own round trip unless pipelined, so the figure is an upper bound on round
  trips.

The counters are server-wide for Redis and per database for PostgreSQL; the bench runs
alone on its database and the machine, so the difference before/after is the run's.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis


@dataclass(frozen=True)
class StoreCounts:
    """Cumulative counts at one instant."""

    pg_transactions: int
    pg_statements: int | None
    redis_commands: int

    def minus(self, earlier: StoreCounts) -> StoreCounts:
        """What happened between ``earlier`` and this reading."""
        statements = (
            None
            if self.pg_statements is None or earlier.pg_statements is None
            else self.pg_statements - earlier.pg_statements
        )
        return StoreCounts(
            self.pg_transactions - earlier.pg_transactions,
            statements,
            self.redis_commands - earlier.redis_commands,
        )

    def per_message(self, delivered: int) -> dict[str, float | None]:
        """Each count per delivered message."""
        if delivered <= 0:
            return {}
        return {
            "pg_transactions": round(self.pg_transactions / delivered, 3),
            "pg_statements": (
                None if self.pg_statements is None else round(self.pg_statements / delivered, 3)
            ),
            "redis_commands": round(self.redis_commands / delivered, 3),
        }


async def read_counts(dsn: str, redis_url: str) -> StoreCounts:
    """The counters now, for the database of ``dsn`` and the Redis server of ``redis_url``."""
    conn = await asyncpg.connect(dsn)
    try:
        transactions = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        statements: int | None = None
        if await conn.fetchval(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
        ):
            statements = await conn.fetchval(
                "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
    finally:
        await conn.close()
    client: Redis = Redis.from_url(redis_url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    commands = sum(
        int(value.get("calls", 0)) for value in stats.values() if isinstance(value, dict)
    )
    # Our own INFO call counts too: leave it out.
    return StoreCounts(int(transactions or 0), statements, max(0, commands - 1))
