"""Console test harness: an in-process gateway client that uses the console as a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from pipeline.gateway.app import create_app
from pipeline.settings import WagenSettings
from tenancy.vault import VaultClient

Client = TestClient[web.Request, web.Application]

_HIDDEN = re.compile(r'name="(?P<name>csrf|token)" value="(?P<value>[^"]*)"')


def hidden(html: str, name: str) -> str:
    """The value of the hidden input ``name`` on a page (fails when there is none)."""
    for match in _HIDDEN.finditer(html):
        if match["name"] == name:
            return match["value"]
    raise AssertionError(f"no hidden {name!r} input on the page:\n{html[:2000]}")


@dataclass
class Browserish:
    """A cookie-keeping HTTP client that uses the console as a browser would."""

    client: Client
    csrf: str = ""

    async def sign_in(self, credential: str) -> ClientResponse:
        """Open the sign-in page, post the credential with the page's token."""
        page = await self.client.get("/console/sign-in")
        token = hidden(await page.text(), "token")
        response = await self.client.post(
            "/console/sign-in",
            data={"token": token, "credential": credential, "next": ""},
            allow_redirects=False,
        )
        if response.status == 303:
            self.csrf = hidden(await (await self.client.get("/console/")).text(), "csrf")
        return response

    async def get(self, path: str) -> ClientResponse:
        """GET, following redirects."""
        return await self.client.get(path)

    async def post(self, path: str, **fields: str) -> ClientResponse:
        """POST a form with this session's CSRF token (redirects not followed)."""
        return await self.client.post(
            path, data={"csrf": self.csrf, **fields}, allow_redirects=False
        )


@pytest.fixture
async def app_client(
    tenancy_settings: WagenSettings, redis: Redis, vault: VaultClient, gateway_port: int
) -> AsyncIterator[Client]:
    """The real gateway app (console included) on the test's gateway port — the public URL
    onboarding registers with the simulators — over the test's stores."""
    server = TestServer(create_app(tenancy_settings), host="127.0.0.1", port=gateway_port)
    test_client: Client = TestClient(server)
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


@pytest.fixture
def console(app_client: Client) -> Browserish:
    """A browser-like client of the console (not signed in yet)."""
    return Browserish(app_client)


@pytest.fixture
async def other_console(app_client: Client) -> AsyncIterator[Browserish]:
    """A second browser-like client with its own cookies (another person)."""
    other: Client = TestClient(cast(TestServer, app_client.server))
    # The server is already running: share it without starting it again.
    try:
        yield Browserish(other)
    finally:
        await other.session.close()
