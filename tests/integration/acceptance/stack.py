"""The acceptance harness: tenants with their own OAuth client, number and integration, a
Genesys simulator that remembers whose token authorised each call, and real ``wagen worker``
processes that tests may start, kill and restart.

Everything is per test: the database, Redis prefix and Vault path come from the tenancy
fixtures, each worker group gets a fresh name and starts at committed offsets (the current
end of every wagen topic, or positions a test chose), and the simulators live in-process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from connectors.sandbox.common import FAILURES_KEY
from connectors.sandbox.genesys import create_genesys_app
from connectors.sandbox.genesys_state import ClientConfig, GenesysSandbox, IntegrationConfig
from connectors.sandbox.meta import create_meta_app
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig
from pipeline.kafka.topics import TOPICS, WA_WEBHOOKS
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import Tenancy
from tests.conftest import REPO_ROOT
from tests.integration.wagen_process import group_state
from tests.integration.worker.harness import GenesysSim, MetaSim, worker_env

ACTOR = Actor(label="admin:test", request_id="req-acceptance")
OUTBOUND_SECRET = "outbound-webhook-secret-0123"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class GenesysCall:
    """One call to the Genesys simulator's inbound API, as the simulator saw it.

    Attributes:
        integration_id: the integration in the URL.
        kind: ``message``, ``receipt``...
        client_id: the OAuth client whose live token authorised the call (None: no valid token).
        status: the simulator's answer.
        message_id: the body's ``channel.messageId`` (the wamid for a customer message).
        text: the body's ``text``.
        delayed: a ``timeout`` failure rule holds the answer back (the call is in flight).
    """

    integration_id: str
    kind: str
    client_id: str | None
    status: int
    message_id: str | None
    text: str | None
    delayed: bool = False


@dataclass
class Genesys:
    """The Genesys simulator with a log of who called it with which token."""

    sim: GenesysSim
    calls: list[GenesysCall] = field(default_factory=list)

    @property
    def sandbox(self) -> GenesysSandbox:
        """The simulator's state (failure rules, what it received)."""
        return self.sim.sandbox

    def delivered(self, kind: str = "message") -> list[GenesysCall]:
        """Calls of ``kind`` the simulator accepted (200), in arrival order."""
        return [c for c in self.calls if c.kind == kind and c.status == 200]

    async def wait_delivered(
        self, count: int, timeout_s: float, *, where: Callable[[GenesysCall], bool] | None = None
    ) -> list[GenesysCall]:
        """Accepted messages (matching ``where``) once ``count`` distinct ids have arrived.

        Fails with what did arrive when the timeout passes first.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            found = [c for c in self.delivered() if where is None or where(c)]
            if len({c.message_id for c in found}) >= count:
                return found
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{len({c.message_id for c in found})} of {count} messages reached Genesys "
                    f"within {timeout_s}s"
                )
            await asyncio.sleep(0.05)


def _call_recorder(sandbox: GenesysSandbox, calls: list[GenesysCall]) -> Any:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if "integration_id" in request.match_info and "kind" in request.match_info:
            scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
            client = sandbox.token_client(bearer.strip()) if scheme.lower() == "bearer" else None
            try:
                body = json.loads(await request.read())
            except ValueError:
                body = {}
            channel = body.get("channel") if isinstance(body, dict) else None
            calls.append(
                GenesysCall(
                    integration_id=request.match_info["integration_id"],
                    kind=request.match_info["kind"],
                    client_id=client,
                    status=response.status,
                    message_id=channel.get("messageId") if isinstance(channel, dict) else None,
                    text=body.get("text") if isinstance(body, dict) else None,
                    delayed=id(request) in request.app[FAILURES_KEY].delays,
                )
            )
        return response

    return record


@pytest.fixture
async def genesys() -> AsyncIterator[Genesys]:
    """A Genesys simulator (no clients yet: each tenant registers its own)."""
    sandbox = GenesysSandbox()
    calls: list[GenesysCall] = []
    app = create_genesys_app(sandbox)
    app.middlewares.append(_call_recorder(sandbox, calls))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Genesys(GenesysSim(str(server.make_url("")).rstrip("/"), sandbox), calls)
    finally:
        await server.close()


@pytest.fixture
async def meta() -> AsyncIterator[MetaSim]:
    """A Meta simulator (the worker's Graph calls never leave the machine)."""
    sandbox = MetaSandbox()
    server = TestServer(create_meta_app(sandbox), host="127.0.0.1")
    await server.start_server()
    try:
        yield MetaSim(url=str(server.make_url("")).rstrip("/"), sandbox=sandbox)
    finally:
        await server.close()


@dataclass(frozen=True)
class Tenant:
    """A tenant with its own business number, Meta app secret, OAuth client and integration."""

    tenant_id: str
    number: str
    app_secret: str
    client_id: str
    integration_id: str


class Tenants:
    """Creates tenants with credentials in the test's Vault path and the simulators."""

    def __init__(self, tenancy: Tenancy, genesys: Genesys, meta: MetaSim, prefix: str) -> None:
        self._tenancy = tenancy
        self._genesys = genesys
        self._meta = meta
        self._prefix = prefix
        self._count = 0

    async def create(self, label: str, *, plan: str | None = None) -> Tenant:
        """A new active tenant named after ``label``."""
        self._count += 1
        tenant_id = f"{self._prefix}{label}"
        number = f"{self._count}{uuid.uuid4().int % 10**12:012d}"
        tenant = Tenant(
            tenant_id=tenant_id,
            number=number,
            app_secret=f"app-secret-{label}-{uuid.uuid4().hex[:8]}",
            client_id=f"client-{tenant_id}",
            integration_id=str(uuid.uuid4()),
        )
        client_secret = f"client-secret-{uuid.uuid4().hex}"
        access_token = f"EAAG-{label}-{uuid.uuid4().hex[:8]}"
        await self._tenancy.tenants.create(
            TenantCreate(tenant_id=tenant_id, name=f"Acceptance {label}", plan=plan), ACTOR
        )
        meta = {
            "appSecret": tenant.app_secret,
            "verifyToken": f"verify-{label}",
            "accessToken": access_token,
            "phoneNumberId": number,
        }
        genesys = {
            "clientId": tenant.client_id,
            "clientSecret": client_secret,
            "region": "mypurecloud.ie",
            "integrationId": tenant.integration_id,
            "outboundWebhookSecret": OUTBOUND_SECRET,
        }
        credentials = self._tenancy.credentials
        await credentials.put(tenant_id, CredentialsWrite(type="meta", credentials=meta), ACTOR)
        await credentials.put(
            tenant_id, CredentialsWrite(type="genesys", credentials=genesys), ACTOR
        )
        sandbox = self._genesys.sandbox
        sandbox.clients[tenant.client_id] = ClientConfig(
            client_id=tenant.client_id, client_secret=client_secret
        )
        sandbox.integrations[tenant.integration_id] = IntegrationConfig(
            integration_id=tenant.integration_id
        )
        self._meta.sandbox.numbers[number] = NumberConfig(
            phone_number_id=number, access_token=access_token
        )
        return tenant


@pytest.fixture
def tenants(tenancy: Tenancy, genesys: Genesys, meta: MetaSim, unique_name: str) -> Tenants:
    """The tenant factory of this test (ids start with the test's unique name)."""
    return Tenants(tenancy, genesys, meta, unique_name.replace("test-", "a"))


Offsets = dict[TopicPartition, int]


async def end_offsets(servers: list[str], topics: Sequence[str]) -> Offsets:
    """The current end offset of every partition of ``topics``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        ends: Offsets = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


async def commit_group(servers: list[str], group: str, offsets: Offsets) -> None:
    """Commit ``offsets`` for ``group`` (a group with no members yet)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def committed(servers: list[str], group: str) -> Offsets:
    """The offsets ``group`` has committed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        found: Offsets = {
            tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
        }
        return found
    finally:
        await admin.close()


async def wait_caught_up(
    servers: list[str], group: str, topics: Sequence[str], timeout_s: float = 30
) -> None:
    """Wait until ``group`` has committed everything on ``topics`` published until now."""
    targets = await end_offsets(servers, topics)
    deadline = time.monotonic() + timeout_s
    while True:
        done = await committed(servers, group)
        behind = {tp: end for tp, end in targets.items() if done.get(tp, -1) < end}
        if not behind:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"group {group} still behind after {timeout_s}s: {behind}")
        await asyncio.sleep(0.25)


@dataclass
class Workers:
    """Starts ``wagen worker`` processes on the test's stores; stops what is left at the end."""

    settings: WagenSettings
    genesys: Genesys
    meta: MetaSim
    log_dir: Path
    processes: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def env(self, group: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The worker environment (as the worker harness builds it) plus ``extra``."""
        return {
            **worker_env(self.settings, self.genesys.sim, group, self.meta),
            # A killed member leaves the group after 10 s instead of Faust's 60.
            "BROKER_SESSION_TIMEOUT": "10",
            "BROKER_HEARTBEAT_INTERVAL": "1",
            # Commit every half second (Faust: 2.8 s), so "caught up" shows sooner.
            "BROKER_COMMIT_INTERVAL": "0.5",
            **(extra or {}),
        }

    async def start(
        self,
        group: str,
        extra: Mapping[str, str] | None = None,
        *,
        offsets: Offsets | None = None,
        stable_timeout_s: float = 90,
    ) -> subprocess.Popen[bytes]:
        """A worker in ``group``, once it is the group's one stable member.

        A group with no committed offsets yet starts at the end of every wagen topic,
        except where ``offsets`` says otherwise; a group that exists keeps its offsets.
        The worker logs to a file: a pipe nobody reads fills up (64 KiB) and then blocks
        the worker's event loop on its next log line.
        """
        servers = self.settings.kafka.servers
        if not await committed(servers, group):
            start = await end_offsets(servers, [t.name for t in TOPICS])
            await commit_group(servers, group, {**start, **(offsets or {})})
        log = self.log_dir / f"worker-{len(self.processes)}.log"
        process = _spawn_worker(self.env(group, extra), log)
        self.processes.append((process, log))
        admin = AIOKafkaAdminClient(bootstrap_servers=servers)
        await admin.start()
        try:
            async with asyncio.timeout(stable_timeout_s):
                while await group_state(admin, group) != ("Stable", 1):
                    if process.poll() is not None:
                        pytest.fail(f"worker exited ({process.returncode}):\n{_tail(log)}")
                    await asyncio.sleep(0.25)
        finally:
            await admin.close()
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean shutdown, no final commit."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM, and the worker must exit cleanly."""
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        [log] = [log for p, log in self.processes if p is process]
        assert process.returncode == 0, _tail(log)

    def close(self) -> None:
        """Stop every worker still running; print each one's last log lines."""
        for n, (process, log) in enumerate(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            # Shown by pytest only when the test failed.
            print(f"--- worker {n} (pid {process.pid}, exit {process.returncode}) ---")
            print(_tail(log))


def _spawn_worker(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "worker"],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _tail(log: Path, size: int = 8000) -> str:
    """The end of a worker's log, without other tests' tenants' noise."""
    lines = log.read_text(errors="replace").splitlines()
    kept = [line for line in lines if "event failed: no tenant" not in line]
    return "\n".join(kept)[-size:]


@pytest.fixture
def workers(
    tenancy_settings: WagenSettings, genesys: Genesys, meta: MetaSim, tmp_path: Path
) -> Iterator[Workers]:
    """The worker factory of this test (logs in the test's temporary directory)."""
    factory = Workers(tenancy_settings, genesys, meta, tmp_path)
    try:
        yield factory
    finally:
        factory.close()


def text_webhook(
    tenant: Tenant, customer: str, wamid: str, text: str, *, name: str = "Dana Levi"
) -> bytes:
    """A Meta webhook with one customer text message to ``tenant``'s number."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": tenant.number},
        "contacts": [{"profile": {"name": name}, "wa_id": customer}],
        "messages": [
            {
                "from": customer,
                "id": wamid,
                "timestamp": str(int(time.time())),
                "text": {"body": text},
                "type": "text",
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1234567890", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def webhook_record(tenant_id: str, body: bytes) -> dict[str, Any]:
    """The arguments of the ``wa.webhooks`` record the gateway stores for a verified body."""
    return {
        "topic": WA_WEBHOOKS,
        "value": body,
        "key": tenant_id.encode(),
        "headers": [
            ("tenant_id", tenant_id.encode()),
            ("source", b"meta"),
            ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
            ("request_id", uuid.uuid4().hex.encode()),
        ],
    }


async def publish(producer: AIOKafkaProducer, tenant_id: str, body: bytes) -> None:
    """Store one verified webhook on ``wa.webhooks``, as the gateway does."""
    record = webhook_record(tenant_id, body)
    await producer.send_and_wait(record.pop("topic"), **record)
