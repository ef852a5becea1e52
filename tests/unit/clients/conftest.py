"""Simulators on loopback ports, a webhook receiver, and clients pointed at them.

Every server is a real aiohttp server on 127.0.0.1 (no mocked sessions); each test gets its
own, so state never leaks between tests. Retry delays are shortened to keep the suite fast.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.genesys.client import GenesysClient
from connectors.genesys.regions import GenesysEndpoints
from connectors.genesys.token import GenesysTenant
from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from connectors.meta.graph import MetaAuth
from connectors.sandbox.genesys import create_genesys_app
from connectors.sandbox.genesys_state import ClientConfig, GenesysSandbox, IntegrationConfig
from connectors.sandbox.meta import create_meta_app
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig
from connectors.settings import GenesysClientSettings, MetaClientSettings

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAG-sandbox-token-1"
APP_SECRET = "meta-app-secret-0123"
CUSTOMER = "5511987654321"
CLIENT_ID = "genesys-client-1"
CLIENT_SECRET = "genesys-secret-0123"
INTEGRATION_ID = "c6b0e62f-8487-44fd-a218-c16e006a7a23"
WEBHOOK_SECRET = "my-webhook-secret-0123"


@dataclass
class Received:
    """One webhook POST the receiver got: raw bytes and headers, as sent."""

    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint at ``url`` that keeps everything POSTed to it."""

    url: str
    received: list[Received] = field(default_factory=list)


@dataclass
class Sim:
    """A running simulator: its base URL, its state, and a control helper."""

    url: str
    session: aiohttp.ClientSession

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(f"{self.url}/_sandbox/{path}", json=body) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    async def inspect(self, path: str, **query: str) -> Any:
        async with self.session.get(f"{self.url}/_sandbox/{path}", params=query) as response:
            assert response.status == 200
            return await response.json()


@dataclass
class MetaSim(Sim):
    sandbox: MetaSandbox = field(default_factory=MetaSandbox)


@dataclass
class GenesysSim(Sim):
    sandbox: GenesysSandbox = field(default_factory=GenesysSandbox)


async def _serve(app: web.Application) -> TestServer:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain session for control calls and raw requests."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver that answers 200 and keeps the raw bodies."""
    got: list[Received] = []

    async def handle(request: web.Request) -> web.Response:
        got.append(Received(await request.read(), dict(request.headers)))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = await _serve(app)
    try:
        yield Receiver(url=str(server.make_url("/hook")), received=got)
    finally:
        await server.close()


@pytest.fixture
async def meta_sim(session: aiohttp.ClientSession, receiver: Receiver) -> AsyncIterator[MetaSim]:
    """The Meta simulator with one business number whose webhooks go to ``receiver``."""
    sandbox = MetaSandbox()
    number = NumberConfig(
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        webhook_url=receiver.url,
    )
    server = await _serve(create_meta_app(sandbox, numbers=(number,)))
    try:
        yield MetaSim(url=str(server.make_url("")).rstrip("/"), session=session, sandbox=sandbox)
    finally:
        await server.close()


@pytest.fixture
async def genesys_sim(
    session: aiohttp.ClientSession, receiver: Receiver
) -> AsyncIterator[GenesysSim]:
    """The Genesys simulator with one OAuth client and one integration (webhooks to
    ``receiver``)."""
    sandbox = GenesysSandbox()
    app = create_genesys_app(
        sandbox,
        clients=(ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, expires_in=3600),),
        integrations=(
            IntegrationConfig(
                integration_id=INTEGRATION_ID,
                webhook_url=receiver.url,
                webhook_secret=WEBHOOK_SECRET,
            ),
        ),
    )
    server = await _serve(app)
    try:
        yield GenesysSim(url=str(server.make_url("")).rstrip("/"), session=session, sandbox=sandbox)
    finally:
        await server.close()


@pytest.fixture
async def transport() -> AsyncIterator[HttpTransport]:
    """The process-wide HTTP pool, started and stopped."""
    async with HttpTransport() as pool:
        yield pool


def meta_settings(sim: Sim, **overrides: Any) -> MetaClientSettings:
    """Client settings pointed at the simulator, with short timeouts and delays."""
    values: dict[str, Any] = {
        "graph_url": sim.url,
        "timeout_s": 2.0,
        "retry_base_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
        **overrides,
    }
    return MetaClientSettings(**values)


def genesys_settings(sim: Sim, **overrides: Any) -> GenesysClientSettings:
    """Client settings pointed at the simulator (both hosts), with short delays."""
    values: dict[str, Any] = {
        "login_url": sim.url,
        "api_url": sim.url,
        "timeout_s": 2.0,
        "retry_base_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
        **overrides,
    }
    return GenesysClientSettings(**values)


@pytest.fixture
def meta_auth() -> MetaAuth:
    """The simulator number's credentials."""
    return MetaAuth(access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID, tenant_id="acme")


@pytest.fixture
def meta_client(transport: HttpTransport, meta_sim: MetaSim) -> MetaClient:
    """A Meta client on the shared pool, pointed at the simulator."""
    return MetaClient(transport, meta_settings(meta_sim))


def genesys_tenant(sim: Sim, *, secret: str = CLIENT_SECRET) -> GenesysTenant:
    """The simulator tenant's Genesys credentials, endpoints overridden to the simulator."""
    return GenesysTenant(
        client_id=CLIENT_ID,
        client_secret=secret,
        integration_id=INTEGRATION_ID,
        endpoints=GenesysEndpoints(login_url=sim.url, api_url=sim.url),
        tenant_id="acme",
    )


@pytest.fixture
def genesys_client(transport: HttpTransport, genesys_sim: GenesysSim) -> GenesysClient:
    """A Genesys client on the shared pool, pointed at the simulator."""
    return GenesysClient(transport, genesys_settings(genesys_sim))
