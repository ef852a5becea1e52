"""Usage counters per tenant, per day and metric, in ``usage_daily``; months are sums of days.

Counting per day (not per event) keeps the table small and makes ``GET .../usage?from&to``
one indexed range scan; a calendar month is the sum of its days.

What Meta charges is counted here too: every message Meta priced (a status's ``pricing``)
adds one to ``priced:<category>``, and one to ``billable:<category>`` when Meta bills it,
once per message (:func:`count_pricing`), so a tenant's report and stats show what its
conversations cost, per category (``marketing``, ``utility``, ``authentication``,
``service``...).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

import asyncpg

from tenancy.db.scope import Connection, tenant_tx
from tenancy.db.statements import Statement
from tenancy.errors import InvalidRequestError
from tenancy.models import PricingTotal, UsageDay, UsageReport

MESSAGES = "messages"
"""The metric plan quotas count: messages carried, either direction."""

MAX_REPORT_DAYS = 366

PRICED: Final = "priced:"
"""Prefix of the metrics counting messages Meta priced, per category."""

BILLABLE: Final = "billable:"
"""Prefix of the metrics counting the billable ones among them."""

_CATEGORY: Final = re.compile(r"[a-z0-9_]{1,64}")
OTHER_CATEGORY: Final = "other"
"""Where a category that is not a plain lower-case word is counted."""


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


def pricing_category(category: str | None) -> str:
    """Meta's pricing category as a metric suffix (``marketing``...), ``other`` if odd."""
    folded = (category or "").strip().casefold()
    return folded if _CATEGORY.fullmatch(folded) else OTHER_CATEGORY


async def count_pricing(
    conn: Connection,
    tenant_id: str,
    wa_message_id: str,
    *,
    category: str | None,
    billable: bool,
    pricing_model: str | None,
    pricing_type: str | None,
    day: date,
) -> bool:
    """Count one priced message once, inside the caller's tenant transaction.

    Meta repeats ``pricing`` on a message's later statuses and redelivers webhooks: the
    ``message_pricing`` row is the dedupe, and the counters move in the same statement only
    when it is new. Whether this call counted it. (One statement with its own ``WITH``: not
    for :func:`~tenancy.db.statements.run_together`.)
    """
    kind = pricing_category(category)
    counted = await conn.fetchval(
        "WITH priced AS ("
        "  INSERT INTO message_pricing (tenant_id, wa_message_id, category, billable, "
        "  pricing_model, pricing_type, day) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "  ON CONFLICT (tenant_id, wa_message_id) DO NOTHING RETURNING day"
        "), counted AS ("
        "  INSERT INTO usage_daily (tenant_id, day, metric, value) "
        "  SELECT $1, priced.day, m.metric, 1 FROM priced, "
        "  unnest(CASE WHEN $4::boolean THEN ARRAY[$8::text, $9::text] "
        "  ELSE ARRAY[$8::text] END) AS m(metric) "
        "  ON CONFLICT (tenant_id, day, metric) "
        "  DO UPDATE SET value = usage_daily.value + EXCLUDED.value, updated_at = now() "
        "  RETURNING 1"
        ") SELECT count(*) FROM counted",
        tenant_id,
        wa_message_id,
        kind,
        billable,
        pricing_model,
        pricing_type,
        day,
        PRICED + kind,
        BILLABLE + kind,
    )
    return bool(counted)


def pricing_of(totals: dict[str, int]) -> dict[str, PricingTotal]:
    """The per-category cost view of metric totals (``priced:*`` and ``billable:*``)."""
    priced = {m.removeprefix(PRICED): v for m, v in totals.items() if m.startswith(PRICED)}
    billed = {m.removeprefix(BILLABLE): v for m, v in totals.items() if m.startswith(BILLABLE)}
    return {
        kind: PricingTotal(messages=priced.get(kind, 0), billable=billed.get(kind, 0))
        for kind in sorted(priced.keys() | billed.keys())
    }


async def metric_totals(conn: Connection, tenant_id: str, start: date, end: date) -> dict[str, int]:
    """Sum of every metric over ``start``..``end`` inclusive."""
    rows = await conn.fetch(
        "SELECT metric, sum(value)::bigint AS value FROM usage_daily "
        "WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 GROUP BY metric",
        tenant_id,
        start,
        end,
    )
    return {str(r["metric"]): int(r["value"]) for r in rows}


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
    return UsageReport(
        tenant_id=tenant_id,
        from_=start,
        to=end,
        days=days,
        totals=totals,
        pricing=pricing_of(totals),
    )
