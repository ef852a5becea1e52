"""A deadline for reading a request body: a client that trickles its body (slow loris) gets
408 instead of holding a connection and a handler for as long as it likes.

aiohttp has no such deadline of its own (only the keep-alive timeout between requests). The
body is read here, within ``WAGEN_GATEWAY_BODY_TIMEOUT_S``, and kept on the request, so the
handlers' own ``read()``/``json()`` return it at once. A body over the size limit is still
refused by aiohttp (413) as soon as the limit is passed, without reading the rest. A body that
arrived whole with its headers (most webhooks) needs no deadline: no timer is armed for it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware


def body_timeout_middleware(timeout_s: float) -> Middleware:
    """A middleware that reads each request body within ``timeout_s`` seconds, else 408."""

    @web.middleware
    async def read_body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists and request.content.is_eof():
            await request.read()  # all buffered already: returns at once
        elif request.body_exists:
            try:
                async with asyncio.timeout(timeout_s):
                    await request.read()
            except TimeoutError:
                raise web.HTTPRequestTimeout(
                    reason=f"request body not received within {timeout_s:g}s"
                ) from None
        return await handler(request)

    return read_body_in_time
