"""A tenant's usage over time: messages in and out per day (each metric wagen counts is a
category of its own), and this month's running total against the plan's quota."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from pipeline.console.charts import cumulative, daily_bars
from pipeline.console.state import page_tenant, state
from pipeline.console.views.common import render
from tenancy import usage

RANGES = (7, 30, 90)
QUOTA_METRIC = usage.MESSAGES
_LABELS = {
    "messages_in": "Messages in (customers → Genesys)",
    "messages_out": "Messages out (agents → WhatsApp)",
}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


async def usage_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/usage?days=30``."""
    tenant = page_tenant(request)
    tenancy = state(request).tenancy
    raw = request.query.get("days", "30")
    span = int(raw) if raw.isdigit() and int(raw) in RANGES else 30
    today = usage.today()
    start = min(today - timedelta(days=span - 1), usage.month_start(today))
    report = await usage.report(tenancy.state.pool, tenant.tenant_id, start, today)
    by_metric: dict[str, dict[date, int]] = {}
    for entry in report.days:
        by_metric.setdefault(entry.metric, {})[entry.day] = entry.value
    window = _days(today - timedelta(days=span - 1), today)
    categories = {m: by_metric.get(m, {}) for m in sorted(set(by_metric) - {QUOTA_METRIC})}
    categories = {"messages_in": {}, "messages_out": {}, **categories}
    month = _days(usage.month_start(today), today)
    counted = by_metric.get(QUOTA_METRIC, {})
    quota = tenancy.plan_limit(tenant.plan)
    return render(
        request,
        "usage.html",
        tenant=tenant,
        span=span,
        ranges=RANGES,
        daily=daily_bars(window, categories),
        window=window,
        categories=categories,
        labels=_LABELS,
        month_chart=cumulative(month, counted, quota),
        month_days=month,
        month_counts=counted,
        month_total=sum(counted.get(d, 0) for d in month),
        quota=quota,
    )
