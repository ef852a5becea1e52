"""Writes as values, so several can travel to PostgreSQL as one statement.

The worker's bookkeeping after a delivery touches three tables; run one by one that is
three round trips inside the transaction. :func:`run_together` sends them as the
data-modifying ``WITH`` clauses of one statement instead: PostgreSQL runs every clause, and
the statement (hence the transaction) fails or commits as a whole. The clauses share one
snapshot and cannot see each other's changes, so combine only writes to different rows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

from tenancy.db.scope import Connection

_PARAMETER: Final = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class Statement:
    """One parameterised INSERT/UPDATE (``$1``… placeholders) and its arguments."""

    sql: str
    args: tuple[object, ...]

    async def run(self, conn: Connection) -> None:
        """Run it alone."""
        await conn.execute(self.sql, *self.args)


def _shifted(sql: str, offset: int) -> str:
    """``sql`` with each ``$n`` placeholder renumbered ``$(n + offset)``."""
    return _PARAMETER.sub(lambda m: f"${int(m.group(1)) + offset}", sql)


@functools.lru_cache(maxsize=128)
def _combined_sql(parts: tuple[tuple[str, int], ...]) -> str:
    # Memoised: the hot path combines the same few shapes for every message.
    clauses, offset = [], 0
    for n, (sql, arg_count) in enumerate(parts):
        clauses.append(f"w{n} AS ({_shifted(sql, offset)})")
        offset += arg_count
    return f"WITH {', '.join(clauses)} SELECT 1"


def combined(statements: tuple[Statement, ...]) -> Statement:
    """One statement doing the work of ``statements`` (placeholders renumbered)."""
    sql = _combined_sql(tuple((s.sql, len(s.args)) for s in statements))
    return Statement(sql, tuple(arg for s in statements for arg in s.args))


async def run_together(conn: Connection, *statements: Statement) -> None:
    """Run writes to different rows in one round trip, inside the caller's transaction."""
    if len(statements) == 1:
        await statements[0].run(conn)
    elif statements:
        await combined(statements).run(conn)
