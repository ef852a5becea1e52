"""A real ``wagen gateway`` process for the bad-input tests, its tenants, raw HTTP helpers.

Bad input is sent to a live process, not an in-process app: a crash, a hang or a leaked
connection shows as it would in production. The process gets a short body deadline
(``WAGEN_GATEWAY_BODY_TIMEOUT_S``) and a plan ``tiny`` limited to a few requests per second,
for the slow-body and flood tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import Tenancy
from tests.conftest import free_port
from tests.integration.tenancy.conftest import TEST_PLANS
from tests.integration.wagen_process import WagenProcess, wagen

BODY_TIMEOUT_S = 2.0
TINY_RPS = 5
ACTOR = Actor(label="admin:test", request_id="req-bad-input")


@dataclass(frozen=True)
class LiveGateway:
    """A running gateway: its process, address and base URL."""

    process: WagenProcess
    host: str
    port: int
    metrics_port: int

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def metrics_url(self) -> str:
        """The separate metrics listener's base URL."""
        return f"http://{self.host}:{self.metrics_port}"

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None


@dataclass(frozen=True)
class GatewayTenant:
    """A tenant with Meta and Genesys webhook secrets and an API key."""

    tenant_id: str
    number: str
    app_secret: str
    outbound_secret: str
    api_key: str


async def create_gateway_tenant(tenancy: Tenancy, tenant_id: str, plan: str) -> GatewayTenant:
    """An active tenant on ``plan`` with credentials in the test's Vault path."""
    created = await tenancy.tenants.create(
        TenantCreate(tenant_id=tenant_id, name=tenant_id, plan=plan), ACTOR
    )
    number = str(int(time.time_ns()) % 10**13)
    tenant = GatewayTenant(
        tenant_id=tenant_id,
        number=number,
        app_secret=f"app-secret-{tenant_id}",
        outbound_secret=f"outbound-secret-{tenant_id}-0123",
        api_key=created.api_key.key,
    )
    meta = {
        "appSecret": tenant.app_secret,
        "verifyToken": "verify",
        "accessToken": "EAAG-token",
        "phoneNumberId": number,
    }
    genesys = {
        "clientId": f"client-{tenant_id}",
        "clientSecret": "client-secret-0123",
        "region": "mypurecloud.ie",
        "integrationId": "00000000-0000-4000-8000-000000000001",
        "outboundWebhookSecret": tenant.outbound_secret,
    }
    await tenancy.credentials.put(tenant_id, CredentialsWrite(type="meta", credentials=meta), ACTOR)
    await tenancy.credentials.put(
        tenant_id, CredentialsWrite(type="genesys", credentials=genesys), ACTOR
    )
    return tenant


def gateway_env(settings: WagenSettings, port: int) -> dict[str, str]:
    """The test's stores; the short body deadline; plan ``tiny`` at ``TINY_RPS``; the test's
    base domain, admin token and JWT keys; the metrics listener on a free port."""
    plans = {name: plan.model_dump() for name, plan in TEST_PLANS.items()}
    plans["tiny"] = {"monthly_messages": None, "requests_per_second": TINY_RPS}
    env = {
        "WAGEN_GATEWAY_PORT": str(port),
        "WAGEN_GATEWAY_METRICS_PORT": str(free_port()),
        "WAGEN_GATEWAY_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "WAGEN_POSTGRES_DSN": settings.postgres.dsn.get_secret_value(),
        "WAGEN_TENANCY_REDIS_PREFIX": settings.tenancy.redis_prefix,
        "WAGEN_TENANCY_PLANS": json.dumps(plans),
        "WAGEN_VAULT_TENANT_PREFIX": settings.vault.tenant_prefix,
        "WAGEN_LOG_LEVEL": "WARNING",
        # The bad-input tests send hundreds of bad signatures from one address: the
        # failed-authentication throttle has tests of its own (they lower this).
        "WAGEN_TENANCY_AUTH_FAILURE_LIMIT": "1000000",
    }
    if settings.tenancy.base_domain:
        env["WAGEN_TENANCY_BASE_DOMAIN"] = settings.tenancy.base_domain
    secrets = {
        "WAGEN_ADMIN_TOKEN": settings.admin.token,
        "WAGEN_ADMIN_JWT_SECRET": settings.admin.jwt_secret,
        "WAGEN_JWT_SECRET": settings.jwt.secret,
    }
    env |= {name: value.get_secret_value() for name, value in secrets.items() if value}
    return env


@asynccontextmanager
async def running_gateway(
    settings: WagenSettings, extra_env: Mapping[str, str] | None = None
) -> AsyncIterator[LiveGateway]:
    """``wagen gateway`` on a free port, once ``/healthz`` answers; it must exit cleanly,
    having answered no request with an unhandled error (our 500)."""
    port = free_port()
    env = {**gateway_env(settings, port), **(extra_env or {})}
    process = wagen("gateway", env=env)
    gateway = LiveGateway(process, "127.0.0.1", port, int(env["WAGEN_GATEWAY_METRICS_PORT"]))
    try:
        async with asyncio.timeout(60), aiohttp.ClientSession() as http:
            while not await healthy(http, gateway):
                if not gateway.alive():
                    pytest.fail(f"gateway exited: {process.communicate()[0][-4000:]}")
                await asyncio.sleep(0.2)
        yield gateway
        assert gateway.alive(), "the gateway died"
        process.terminate()
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
        assert process.returncode == 0, output[-4000:]
        # aiohttp itself logs each malformed request it refuses (400) with a traceback;
        # an error of ours would be "unhandled error".
        assert "unhandled error" not in output, output[-4000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture(name="live_gateway")
async def live_gateway_fixture(tenancy_settings: WagenSettings) -> AsyncIterator[LiveGateway]:
    """A gateway process for the test (see :func:`running_gateway`)."""
    async with running_gateway(tenancy_settings) as gateway:
        yield gateway


async def healthy(http: aiohttp.ClientSession, gateway: LiveGateway) -> bool:
    """Whether ``/healthz`` answers 200 within five seconds."""
    try:
        async with http.get(f"{gateway.url}/healthz", timeout=aiohttp.ClientTimeout(5)) as r:
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


def raw_status(gateway: LiveGateway, request: bytes, timeout_s: float = 10) -> int:
    """Send ``request`` as it is over a fresh connection; the answer's status (0: none)."""
    with socket.create_connection((gateway.host, gateway.port), timeout=timeout_s) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                return 0
            answer += chunk
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def raw_exchange(gateway: LiveGateway, request: bytes, timeout_s: float = 10) -> tuple[int, bytes]:
    """Send ``request`` (which should say ``Connection: close``) as it is; (status, body)."""
    with socket.create_connection((gateway.host, gateway.port), timeout=timeout_s) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), body
