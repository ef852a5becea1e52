"""The gateway's correlation middleware: one id per request, honoured, echoed, logged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pipeline.gateway.correlation import correlation_middleware
from pipeline.gateway.errors import error_middleware
from pipeline.telemetry.correlation import current
from tenancy.errors import ForbiddenError
from tenancy.http.context import request_id
from tests.unit.logging.conftest import Captured

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(captured: Captured) -> AsyncIterator[Client]:
    async def hook(request: web.Request) -> web.Response:
        captured.log.info("webhook stored")
        return web.json_response({"rid": request_id(request), "bound": current().fields()})

    async def refused(request: web.Request) -> web.Response:
        captured.log.info("refusing")
        raise ForbiddenError("not yours", tenant_id=request.match_info["tenant"])

    app = web.Application(middlewares=[correlation_middleware, error_middleware])
    app.router.add_post("/webhooks/meta/{tenant}", hook)
    app.router.add_post("/refused/{tenant}", refused)
    test_client: Client = TestClient(TestServer(app))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def test_the_callers_request_id_is_used_bound_and_echoed(
    client: Client, captured: Captured
) -> None:
    response = await client.post("/webhooks/meta/acme", headers={"X-Request-Id": "meta-req-1"})
    body = await response.json()
    assert response.headers["X-Request-Id"] == "meta-req-1"
    assert body == {
        "rid": "meta-req-1",  # the id the Kafka record's request_id header gets
        "bound": {"correlation_id": "meta-req-1", "tenant_id": "acme"},
    }
    [line] = captured.lines()
    assert (line["correlation_id"], line["tenant_id"]) == ("meta-req-1", "acme")


async def test_a_correlation_id_header_is_honoured_and_echoed_under_both_names(
    client: Client,
) -> None:
    response = await client.post("/webhooks/meta/acme", headers={"X-Correlation-Id": "c-42"})
    assert response.headers["X-Request-Id"] == "c-42"
    assert response.headers["X-Correlation-Id"] == "c-42"


async def test_an_insane_id_is_replaced_by_a_new_one(client: Client) -> None:
    first = await client.post("/webhooks/meta/acme", headers={"X-Request-Id": "bad id\t"})
    second = await client.post("/webhooks/meta/acme")
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2
    assert all(len(rid) == 32 and rid.isalnum() for rid in ids)
    assert (await first.json())["rid"] == first.headers["X-Request-Id"]


async def test_an_error_response_and_its_log_lines_carry_the_id(
    client: Client, captured: Captured
) -> None:
    response = await client.post("/refused/acme", headers={"X-Request-Id": "r-403"})
    assert response.status == 403
    assert response.headers["X-Request-Id"] == "r-403"
    [line] = captured.lines()
    assert line["correlation_id"] == "r-403"


async def test_nothing_stays_bound_after_the_request(client: Client) -> None:
    await client.post("/webhooks/meta/acme", headers={"X-Request-Id": "gone"})
    assert current().fields() == {}
