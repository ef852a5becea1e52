"""A tenant whose every credential is unique, and a real ``wagen gateway`` process.

The log test searches the captured logs for each credential: they must be values nothing
else in the logs could contain by chance.
"""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from connectors.sandbox.genesys_state import ClientConfig, IntegrationConfig
from connectors.sandbox.meta_state import NumberConfig
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import Tenancy
from tests.conftest import free_port
from tests.integration.acceptance.stack import Genesys
from tests.integration.wagen_process import WagenProcess, wagen
from tests.integration.worker.harness import MetaSim

JSON_DEBUG_LOGS = {"WAGEN_LOG_JSON_LINES": "true", "WAGEN_LOG_LEVEL": "DEBUG"}
_ACTOR = Actor(label="admin:test", request_id="req-logs")


@dataclass(frozen=True)
class SecretTenant:
    """A tenant and the credentials it has in Vault (each a fresh random value)."""

    tenant_id: str
    number: str
    integration_id: str
    client_id: str
    app_secret: str
    access_token: str
    verify_token: str
    client_secret: str
    outbound_secret: str

    def secrets(self) -> dict[str, str]:
        """Every credential, and the encodings it could leak in, by a name for the report."""
        plain = {
            "meta app secret": self.app_secret,
            "meta access token": self.access_token,
            "meta verify token": self.verify_token,
            "genesys client secret": self.client_secret,
            "genesys outbound webhook secret": self.outbound_secret,
        }
        found = dict(plain)
        for name, value in plain.items():
            found[f"{name} (base64)"] = _b64(value)
            found[f"{name} (base64url)"] = _b64(value, urlsafe=True)
        # The OAuth client-credentials call sends them as HTTP Basic auth.
        found["genesys basic auth"] = _b64(f"{self.client_id}:{self.client_secret}")
        return found


def _b64(text: str, *, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode()).decode().rstrip("=")


async def create_secret_tenant(
    tenancy: Tenancy, genesys: Genesys, meta: MetaSim, tenant_id: str
) -> SecretTenant:
    """A tenant with Meta and Genesys credentials in Vault and in the simulators."""
    tenant = SecretTenant(
        tenant_id=tenant_id,
        number=f"{uuid.uuid4().int % 10**13:013d}",
        integration_id=str(uuid.uuid4()),
        client_id=f"client-{tenant_id}",
        app_secret=f"appsecret{uuid.uuid4().hex}",
        # Shaped like a real Meta token; the redaction filter knows that shape, the test
        # must see it gone whether or not a filter caught it.
        access_token=f"EAAG{uuid.uuid4().hex}{uuid.uuid4().hex}",
        verify_token=f"verify{uuid.uuid4().hex}",
        client_secret=f"clientsecret{uuid.uuid4().hex}",
        outbound_secret=f"outbound{uuid.uuid4().hex}",
    )
    await tenancy.tenants.create(TenantCreate(tenant_id=tenant_id, name="Log test"), _ACTOR)
    credentials = {
        "meta": {
            "appSecret": tenant.app_secret,
            "verifyToken": tenant.verify_token,
            "accessToken": tenant.access_token,
            "phoneNumberId": tenant.number,
        },
        "genesys": {
            "clientId": tenant.client_id,
            "clientSecret": tenant.client_secret,
            "region": "mypurecloud.ie",
            "integrationId": tenant.integration_id,
            "outboundWebhookSecret": tenant.outbound_secret,
        },
    }
    for kind in ("meta", "genesys"):
        await tenancy.credentials.put(
            tenant_id, CredentialsWrite(type=kind, credentials=credentials[kind]), _ACTOR
        )
    genesys.sandbox.clients[tenant.client_id] = ClientConfig(
        client_id=tenant.client_id, client_secret=tenant.client_secret
    )
    genesys.sandbox.integrations[tenant.integration_id] = IntegrationConfig(
        integration_id=tenant.integration_id
    )
    meta.sandbox.numbers[tenant.number] = NumberConfig(
        phone_number_id=tenant.number, access_token=tenant.access_token
    )
    return tenant


@dataclass
class Gateway:
    """A running ``wagen gateway`` and its base URL."""

    process: WagenProcess
    url: str

    def stop(self) -> str:
        """SIGTERM; the whole output once it has exited (cleanly)."""
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, output[-4000:]
        return output


def gateway_env(settings: WagenSettings, port: int) -> dict[str, str]:
    """The test's stores, JSON lines at DEBUG."""
    plans = {name: plan.model_dump() for name, plan in settings.tenancy.plans.items()}
    return {
        "WAGEN_GATEWAY_PORT": str(port),
        "WAGEN_POSTGRES_DSN": settings.postgres.dsn.get_secret_value(),
        "WAGEN_TENANCY_REDIS_PREFIX": settings.tenancy.redis_prefix,
        "WAGEN_TENANCY_PLANS": json.dumps(plans),
        "WAGEN_VAULT_TENANT_PREFIX": settings.vault.tenant_prefix,
        **JSON_DEBUG_LOGS,
    }


@pytest.fixture
async def gateway(tenancy_settings: WagenSettings) -> AsyncIterator[Gateway]:
    """A ``wagen gateway`` process on a free port, once ``/healthz`` answers."""
    port = free_port()
    process = wagen("gateway", env=gateway_env(tenancy_settings, port))
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(process, url)
        yield Gateway(process, url)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


async def _wait_healthy(process: WagenProcess, url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                pytest.fail(f"gateway exited ({process.returncode}):\n{process.communicate()[0]}")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gateway not healthy within {timeout_s}s")
            await asyncio.sleep(0.2)


def json_lines(output: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Each non-blank line of a process's output, parsed, with its text; fails on the first
    line that is not a JSON object."""
    for number, raw in enumerate(output.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            pytest.fail(f"line {number} is not JSON: {raw[:500]!r}")
        if not isinstance(entry, dict):
            pytest.fail(f"line {number} is not a JSON object: {raw[:500]!r}")
        yield entry, raw
