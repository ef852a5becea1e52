"""The body deadline: a trickled body gets 408, a body in time reaches the handler whole."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pipeline.gateway.body_timeout import body_timeout_middleware


async def _echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


def _app(timeout_s: float) -> web.Application:
    app = web.Application(middlewares=[body_timeout_middleware(timeout_s)])
    app.router.add_post("/echo", _echo)
    return app


async def test_a_body_that_arrives_in_time_reaches_the_handler() -> None:
    async with TestClient(TestServer(_app(5.0))) as client:
        response = await client.post("/echo", data=b"x" * 10_000)
        assert (response.status, await response.read()) == (200, b"x" * 10_000)


async def test_a_trickled_body_is_answered_408_at_its_deadline() -> None:
    async with TestServer(_app(0.5)) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        await writer.drain()
        async with asyncio.timeout(10):
            status_line = await reader.readline()
        writer.close()
        await writer.wait_closed()
    assert status_line.startswith(b"HTTP/1.1 408")
