"""The gateway's listener: a new connection must deliver its request headers in time."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from pipeline.gateway.server import HeaderDeadlineSite


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/", _hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = HeaderDeadlineSite(runner, "127.0.0.1", 0, header_timeout_s=1.0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def _exchange(port: int, *chunks: bytes, pause_s: float = 0.4) -> bytes:
    """Send ``chunks`` one per ``pause_s`` while reading; what came back until closed."""
    answer = b""
    pending = list(chunks)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.settimeout(pause_s)
        while True:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                if pending:
                    sock.sendall(pending.pop(0))
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    return answer


async def test_headers_in_time_are_served(port: int) -> None:
    answer = await asyncio.to_thread(
        _exchange, port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"hello")


async def test_trickled_headers_get_408_and_the_connection_closes(port: int) -> None:
    answer = await asyncio.to_thread(
        _exchange,
        port,
        b"GET / HTTP/1.1\r\n",
        b"Host: x\r\n",
        b"X-A: 1\r\n",
        b"X-B: 2\r\n",
        b"X-C: 3\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"http_408"' in answer


async def test_a_silent_connection_is_closed_with_408(port: int) -> None:
    answer = await asyncio.to_thread(_exchange, port)
    assert answer.startswith(b"HTTP/1.1 408 ")
