"""Fixtures and helpers: a real ``wagen worker``, a throwaway tenancy, Genesys and Meta
simulators.

The worker subprocess reads the test's database, Redis prefix and Vault path from
``WAGEN_*`` variables, and sends every tenant's Genesys calls to the Genesys simulator (the
settings' login/API override) and its Graph calls to the Meta simulator (``graph_url``).
Its consumer group is new and starts at the end of each topic, so it only sees what the
test produces.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from connectors.sandbox.genesys import create_genesys_app
from connectors.sandbox.genesys_state import ClientConfig, GenesysSandbox, IntegrationConfig
from connectors.sandbox.meta import create_meta_app
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import Tenancy
from tests.integration.wagen_process import start_group_at_end, wagen, wait_until_stable

PHONE_NUMBER_ID = "1122334455667"
CLIENT_ID = "genesys-client-worker"
CLIENT_SECRET = "genesys-secret-worker-0123"
META_TOKEN = "EAAG-worker-token"


@dataclass
class GenesysSim:
    """The simulator's base URL and its state (what it received, failures to inject)."""

    url: str
    sandbox: GenesysSandbox


@dataclass
class MetaSim:
    """The Meta simulator's base URL and its state (sends, windows, failures to inject)."""

    url: str
    sandbox: MetaSandbox


@dataclass(frozen=True)
class WorkerTenant:
    """A tenant with Meta and Genesys credentials in the test's Vault path."""

    tenant_id: str
    integration_id: str


@pytest.fixture
async def genesys_sim() -> AsyncIterator[GenesysSim]:
    """A Genesys simulator on a loopback port with one OAuth client (integrations per tenant)."""
    sandbox = GenesysSandbox()
    app = create_genesys_app(
        sandbox, clients=(ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),)
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield GenesysSim(url=str(server.make_url("")).rstrip("/"), sandbox=sandbox)
    finally:
        await server.close()


@pytest.fixture
async def meta_sim() -> AsyncIterator[MetaSim]:
    """A Meta simulator on a loopback port; each test tenant registers its number in it."""
    sandbox = MetaSandbox()
    server = TestServer(create_meta_app(sandbox), host="127.0.0.1")
    await server.start_server()
    try:
        yield MetaSim(url=str(server.make_url("")).rstrip("/"), sandbox=sandbox)
    finally:
        await server.close()


@pytest.fixture
async def worker_tenant(
    tenancy: Tenancy, genesys_sim: GenesysSim, meta_sim: MetaSim, unique_name: str
) -> WorkerTenant:
    """A fresh tenant, its credentials in Vault and its integration in the simulator."""
    tenant_id = unique_name.replace("test-", "w")
    integration_id = str(uuid.uuid4())
    actor = Actor(label="admin:test", request_id="req-test")
    await tenancy.tenants.create(TenantCreate(tenant_id=tenant_id, name="Worker Test"), actor)
    meta = {
        "appSecret": "meta-app-secret-worker",
        "verifyToken": "verify-worker",
        "accessToken": META_TOKEN,
        "phoneNumberId": PHONE_NUMBER_ID,
    }
    genesys = {
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "region": "mypurecloud.ie",
        "integrationId": integration_id,
        "outboundWebhookSecret": "outbound-webhook-secret-0123",
    }
    await tenancy.credentials.put(tenant_id, CredentialsWrite(type="meta", credentials=meta), actor)
    await tenancy.credentials.put(
        tenant_id, CredentialsWrite(type="genesys", credentials=genesys), actor
    )
    genesys_sim.sandbox.integrations[integration_id] = IntegrationConfig(
        integration_id=integration_id
    )
    meta_sim.sandbox.numbers[PHONE_NUMBER_ID] = NumberConfig(
        phone_number_id=PHONE_NUMBER_ID, access_token=META_TOKEN
    )
    return WorkerTenant(tenant_id=tenant_id, integration_id=integration_id)


def worker_env(
    settings: WagenSettings, sim: GenesysSim, group: str, meta: MetaSim | None = None
) -> dict[str, str]:
    """The worker's environment: the test's stores, the simulators, a short retry schedule.

    The Genesys and Meta clients get one attempt per call, so a 429 goes through the retry
    topic (what the tests want to see) instead of being waited out inside the client.
    """
    plans = {name: plan.model_dump() for name, plan in settings.tenancy.plans.items()}
    return {
        "WAGEN_WORKER_APP_ID": group,
        "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest",
        "WAGEN_WORKER_RETRY_ATTEMPTS": "3",
        "WAGEN_WORKER_RETRY_BASE_DELAY_S": "0.5",
        # Each test worker its own free /metrics port (several run side by side).
        "WAGEN_WORKER_METRICS_PORT": "0",
        "WAGEN_POSTGRES_DSN": settings.postgres.dsn.get_secret_value(),
        "WAGEN_TENANCY_REDIS_PREFIX": settings.tenancy.redis_prefix,
        "WAGEN_TENANCY_PLANS": json.dumps(plans),
        "WAGEN_VAULT_TENANT_PREFIX": settings.vault.tenant_prefix,
        "WAGEN_GENESYS_LOGIN_URL": sim.url,
        "WAGEN_GENESYS_API_URL": sim.url,
        "WAGEN_GENESYS_RETRY_ATTEMPTS": "1",
        "WAGEN_GENESYS_TIMEOUT_S": "3",
        **(
            {}
            if meta is None
            else {
                "WAGEN_META_GRAPH_URL": meta.url,
                "WAGEN_META_RETRY_ATTEMPTS": "1",
                "WAGEN_META_TIMEOUT_S": "3",
            }
        ),
    }


@contextlib.asynccontextmanager
async def running_worker(
    settings: WagenSettings, group: str, env: dict[str, str]
) -> AsyncIterator[subprocess.Popen[str]]:
    """``wagen worker`` with ``env``, once it is the one stable member of ``group`` (which
    starts at the end of every topic); stopped with SIGTERM, and it must exit cleanly."""
    await start_group_at_end(settings.kafka.servers, group)
    process = wagen("worker", env=env)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await wait_until_stable(admin, group, process)
        yield process
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        await admin.close()


@pytest.fixture
async def worker(
    tenancy_settings: WagenSettings, genesys_sim: GenesysSim, meta_sim: MetaSim, unique_name: str
) -> AsyncIterator[subprocess.Popen[str]]:
    """A running ``wagen worker``, the one stable member of its group; stopped with SIGTERM."""
    env = worker_env(tenancy_settings, genesys_sim, unique_name, meta_sim)
    async with running_worker(tenancy_settings, unique_name, env) as process:
        yield process


@pytest.fixture
async def producer(tenancy_settings: WagenSettings) -> AsyncIterator[AIOKafkaProducer]:
    """A plain producer, as the gateway would publish (acks=all)."""
    client = AIOKafkaProducer(bootstrap_servers=tenancy_settings.kafka.servers, acks="all")
    await client.start()
    try:
        yield client
    finally:
        await client.stop()
