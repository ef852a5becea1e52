"""Usage counters per tenant, per day and metric, in ``usage_daily``; months are sums of days.

Counting per day (not per event) keeps the table small and makes ``GET .../usage?from&to``
one indexed range scan; a calendar month is the sum of its days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from tenancy.db.scope import Connection, tenant_tx
from tenancy.db.statements import Statement
from tenancy.errors import InvalidRequestError
from tenancy.models import UsageDay, UsageReport

MESSAGES = "messages"
"""The metric plan quotas count: messages carried, either direction."""

MAX_REPORT_DAYS = 366


def today() -> date:
    """The current UTC day: quotas and counters roll over at UTC midnight."""
    return datetime.now(UTC).date()


def month_start(day: date) -> date:
    """First day of ``day``'s calendar month."""
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    """First day of the month after ``day``'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def increment(tenant_id: str, metric: str, amount: int, day: date) -> Statement:
    """Adding ``amount`` to a daily counter, to run in a tenant transaction."""
    return Statement(
        "INSERT INTO usage_daily (tenant_id, day, metric, value) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (tenant_id, day, metric) "
        "DO UPDATE SET value = usage_daily.value + EXCLUDED.value, updated_at = now()",
        (tenant_id, day, metric, amount),
    )


async def add(conn: Connection, tenant_id: str, metric: str, amount: int, day: date) -> None:
    """Add ``amount`` to a daily counter inside the caller's tenant transaction."""
    await increment(tenant_id, metric, amount, day).run(conn)


async def total(conn: Connection, tenant_id: str, metric: str, start: date, end: date) -> int:
    """Sum of a metric over ``start``..``end`` inclusive."""
    value = await conn.fetchval(
        "SELECT coalesce(sum(value), 0)::bigint FROM usage_daily "
        "WHERE tenant_id = $1 AND metric = $2 AND day BETWEEN $3 AND $4",
        tenant_id,
        metric,
        start,
        end,
    )
    return int(value)


async def report(
    pool: asyncpg.Pool, tenant_id: str, start: date | None, end: date | None
) -> UsageReport:
    """Daily counters and totals; defaults to this month so far."""
    end = end or today()
    start = start or month_start(end)
    if start > end:
        raise InvalidRequestError("'from' is after 'to'", tenant_id=tenant_id)
    if (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidRequestError(f"at most {MAX_REPORT_DAYS} days per report", tenant_id=tenant_id)
    async with tenant_tx(pool, tenant_id) as conn:
        rows = await conn.fetch(
            "SELECT day, metric, value FROM usage_daily "
            "WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day, metric",
            tenant_id,
            start,
            end,
        )
    days = [UsageDay(day=r["day"], metric=r["metric"], value=r["value"]) for r in rows]
    totals: dict[str, int] = {}
    for entry in days:
        totals[entry.metric] = totals.get(entry.metric, 0) + entry.value
    return UsageReport(tenant_id=tenant_id, from_=start, to=end, days=days, totals=totals)
