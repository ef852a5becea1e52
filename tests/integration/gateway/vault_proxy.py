"""A counting HTTP proxy in front of the real Vault: the gateway process under test talks to
Vault through it, and the test reads how many times each path was fetched."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class VaultProxy:
    """Where the proxy listens, and what passed through it."""

    url: str = ""
    reads: Counter[str] = field(default_factory=Counter)

    def reads_of(self, fragment: str) -> int:
        """GETs of paths containing ``fragment``."""
        return sum(n for path, n in self.reads.items() if fragment in path)


@asynccontextmanager
async def vault_proxy(upstream: str) -> AsyncIterator[VaultProxy]:
    """Forward every request to ``upstream`` (the real Vault), counting GETs by path."""
    proxy = VaultProxy()
    async with aiohttp.ClientSession() as http:

        async def forward(request: web.Request) -> web.Response:
            if request.method == "GET":
                proxy.reads[request.path] += 1
            headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
            async with http.request(
                request.method,
                f"{upstream}{request.path_qs}",
                headers=headers,
                data=await request.read(),
            ) as answer:
                return web.Response(
                    status=answer.status,
                    body=await answer.read(),
                    content_type=answer.content_type,
                )

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        proxy.url = f"http://127.0.0.1:{port}"
        try:
            yield proxy
        finally:
            await runner.cleanup()
