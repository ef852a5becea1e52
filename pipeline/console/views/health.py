"""Operators' pipeline health page, and its live part (refreshed by ``live.js`` when scripts
run; a Refresh link otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from pipeline.console.charts import Chart, grouped_bars
from pipeline.console.pipeline_health import BUCKET_S, BUCKETS, PipelineHealth
from pipeline.console.state import state
from pipeline.console.views.common import render


def _labels(at: datetime) -> list[str]:
    start = at - timedelta(seconds=BUCKET_S * BUCKETS)
    return [
        (start + timedelta(seconds=BUCKET_S * k)).astimezone(UTC).strftime("%H:%M")
        for k in range(BUCKETS)
    ]


def _chart(health: PipelineHealth) -> Chart:
    # Series keyed flow-1, flow-2...: they are CSS classes (topic names hold dots).
    keys = {f"flow-{n}": flow for n, flow in enumerate(health.flow, start=1)}
    return grouped_bars(
        _labels(health.at),
        {key: list(flow.buckets) for key, flow in keys.items()},
        {key: flow.topic for key, flow in keys.items()},
    )


async def _render(request: web.Request, template: str) -> web.Response:
    health = await state(request).health.get()
    return render(
        request, template, health=health, flow_chart=_chart(health), labels=_labels(health.at)
    )


async def health_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/ops/health``."""
    return await _render(request, "health.html")


async def health_live(request: web.Request) -> web.StreamResponse:
    """``GET /console/ops/health/live``: the page's live part alone."""
    return await _render(request, "_health_body.html")
