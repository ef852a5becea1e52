"""``wagen sandbox meta|genesys`` as real processes, driven by the real clients."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from connectors.genesys.client import GenesysClient
from connectors.genesys.regions import GenesysEndpoints
from connectors.genesys.token import GenesysTenant
from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from connectors.meta.graph import MetaAuth
from connectors.settings import GenesysClientSettings, MetaClientSettings
from tests.conftest import free_port
from tests.unit.clients.test_genesys_token import message

WAGEN = Path(sys.executable).with_name("wagen")


@asynccontextmanager
async def running(*args: str, env: dict[str, str]) -> AsyncIterator[str]:
    """Start ``wagen sandbox ...`` on a free port; yield its base URL; stop it."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(WAGEN),
        "sandbox",
        *args,
        "--port",
        str(port),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            while True:
                assert process.returncode is None, "simulator exited early"
                try:
                    async with session.get(f"{base}/_sandbox/health") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                assert time.monotonic() < deadline, "simulator did not come up"
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        _, stderr = await process.communicate()
        assert process.returncode in (0, -15), stderr.decode()


async def test_wagen_sandbox_meta_serves_the_meta_client() -> None:
    # The token comes from the environment, not the command line (kept off `ps`).
    env = {"WAGEN_SANDBOX_META_ACCESS_TOKEN": "cli-token"}
    async with (
        running("meta", "--phone-number-id", "1234567", env=env) as base,
        HttpTransport() as transport,
    ):
        async with aiohttp.ClientSession() as session:
            window = {"phone_number_id": "1234567", "wa_id": "5511987654321"}
            async with session.post(f"{base}/_sandbox/windows", json=window) as response:
                assert response.status == 200
        client = MetaClient(transport, MetaClientSettings(graph_url=base))
        auth = MetaAuth(access_token="cli-token", phone_number_id="1234567")
        body = {
            "messaging_product": "whatsapp",
            "to": "+5511987654321",
            "type": "text",
            "text": {"body": "hello"},
        }
        answer = await client.send(auth, body)
        assert answer.messages[0].id.startswith("wamid.")


async def test_wagen_sandbox_genesys_serves_the_genesys_client() -> None:
    env = {"WAGEN_SANDBOX_GENESYS_CLIENT_SECRET": "cli-secret"}
    async with (
        running(
            "genesys", "--client-id", "cli-client", "--integration-id", "int-1", env=env
        ) as base,
        HttpTransport() as transport,
    ):
        client = GenesysClient(transport, GenesysClientSettings(login_url=base, api_url=base))
        tenant = GenesysTenant(
            client_id="cli-client",
            client_secret="cli-secret",
            integration_id="int-1",
            endpoints=GenesysEndpoints(login_url=base, api_url=base),
        )
        accepted = await client.send_message(tenant, message())
        assert accepted.id
