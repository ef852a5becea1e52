"""A real ``wagen gateway`` process for a test: started on a free port, stopped cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import aiohttp
import pytest

from tests.conftest import free_port
from tests.integration.wagen_process import wagen


@asynccontextmanager
async def running_gateway(
    env: Mapping[str, str], http: aiohttp.ClientSession
) -> AsyncIterator[str]:
    """``wagen gateway`` with ``env`` on a free port; its URL once ``/healthz`` answers.

    It must exit 0 on SIGTERM at the end (a crash or a hang fails the test).
    """
    port = free_port()
    process = wagen("gateway", env={**env, "WAGEN_GATEWAY_PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(60):
            while True:
                if process.poll() is not None:
                    pytest.fail(f"gateway exited: {process.communicate()[0][-4000:]}")
                try:
                    async with http.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.2)
        yield url
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(process.communicate, timeout=60)
        assert process.returncode == 0, output[-4000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
