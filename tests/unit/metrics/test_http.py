"""``/metrics`` exposition, and the worker's own metrics server (free port, port taken)."""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from pipeline.metrics import record
from pipeline.metrics.http import MetricsServer, metrics_view


async def test_the_view_serves_prometheus_text_with_our_series() -> None:
    record.kafka_produced("wa.webhooks", True, 0.01)
    app = web.Application()
    app.router.add_get("/metrics", metrics_view)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        names = {f.name for f in text_string_to_metric_families(await response.text())}
        openmetrics = await client.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert {"wagen_kafka_produce_duration_seconds", "wagen_webhooks_received"} <= names


async def test_the_worker_server_picks_a_free_port_and_stops() -> None:
    server = MetricsServer("127.0.0.1", 0)
    await server.start()
    try:
        port = server.port
        assert port is not None
        assert port > 0
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            assert "wagen_agent_events_total" in await response.text()
    finally:
        await server.stop()
    assert server.port is None


async def test_a_taken_port_is_logged_and_the_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = MetricsServer("127.0.0.1", taken.getsockname()[1])
        with caplog.at_level(logging.ERROR, logger="pipeline.metrics.http"):
            await server.start()
        try:
            assert server.port is None
            assert "metrics endpoint not started" in caplog.text
        finally:
            await server.stop()
