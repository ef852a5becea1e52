"""Outbound calls and token fetches counted through the connectors' observer hook, against a
real local server and the Genesys simulator (nothing mocked)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.errors import ConnectorTransportError
from connectors.genesys.errors import GenesysCredentialsError
from connectors.genesys.token import GenesysTokenCache
from connectors.http import HttpTransport
from pipeline.metrics.connectors import CONNECTOR_OBSERVER
from tests.conftest import free_port
from tests.unit.clients.conftest import GenesysSim, genesys_settings, genesys_tenant
from tests.unit.metrics.conftest import value

TENANT = "acme"  # the simulator tenant's id (tests.unit.clients.conftest.genesys_tenant)


@pytest.fixture
async def observed() -> AsyncIterator[HttpTransport]:
    """The pool as the worker builds it: reporting to the Prometheus observer."""
    async with HttpTransport(observer=CONNECTOR_OBSERVER) as pool:
        yield pool


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """Answers ``/status/{code}`` with that status."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]))

    app = web.Application()
    app.router.add_get("/status/{code}", answer)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield str(test_server.make_url("")).rstrip("/")
    finally:
        await test_server.close()


async def test_every_request_is_counted_by_status_and_timed(
    observed: HttpTransport, server: str
) -> None:
    labels = {"destination": "meta", "operation": "send", "tenant": "t-http"}
    timed = {"destination": "meta", "operation": "send"}
    before = value("wagen_outbound_request_duration_seconds_count", **timed)
    for code in (200, 200, 503, 418):
        url = f"{server}/status/{code}"
        await observed.request(
            "GET", url, vendor="meta", operation="send", timeout_s=5, tenant_id="t-http"
        )
    assert value("wagen_outbound_requests_total", status="200", **labels) == 2
    assert value("wagen_outbound_requests_total", status="503", **labels) == 1
    assert value("wagen_outbound_requests_total", status="4xx", **labels) == 1
    assert value("wagen_outbound_request_duration_seconds_count", **timed) == before + 4


async def test_a_call_that_never_connects_is_counted_too(observed: HttpTransport) -> None:
    labels = {"destination": "genesys", "operation": "token", "tenant": "t-down"}
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(ConnectorTransportError):
        await observed.request(
            "GET", url, vendor="genesys", operation="token", timeout_s=5, tenant_id="t-down"
        )
    assert value("wagen_outbound_requests_total", status="connect_error", **labels) == 1


async def test_token_fetches_are_counted_by_outcome(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    ok = value("wagen_genesys_token_refreshes_total", outcome="ok", tenant=TENANT)
    refused = value("wagen_genesys_token_refreshes_total", outcome="refused", tenant=TENANT)
    settings = genesys_settings(genesys_sim)
    cache = GenesysTokenCache(transport, settings, observer=CONNECTOR_OBSERVER)
    tenant = genesys_tenant(genesys_sim)
    token = await cache.token(tenant)
    assert await cache.token(tenant) == token  # cached: no second fetch
    await cache.refresh(tenant, token)  # after a 401: a new one
    assert value("wagen_genesys_token_refreshes_total", outcome="ok", tenant=TENANT) == ok + 2
    wrong = genesys_tenant(genesys_sim, secret="not-the-secret")
    with pytest.raises(GenesysCredentialsError):
        await GenesysTokenCache(transport, settings, observer=CONNECTOR_OBSERVER).token(wrong)
    assert (
        value("wagen_genesys_token_refreshes_total", outcome="refused", tenant=TENANT)
        == refused + 1
    )
