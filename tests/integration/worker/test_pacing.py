"""Per-tenant pacing and no head-of-line blocking, with a real worker and the simulator.

Tenant A's Genesys integration answers at most 5 requests/s (the simulator's rate limit,
429 above it, as Genesys's default 300 requests/min) and A has a backlog of 500 messages;
tenant B (a raised Genesys limit) sends 20 messages/s meanwhile. Shows: B's p99 latency stays
within 2x of B's alone; every message of A arrives, at A's budget, in order per
conversation, with no 429 and nothing in the DLQ.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from connectors.sandbox.common import RateLimitRule
from connectors.sandbox.genesys_state import IntegrationConfig
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import CredentialsWrite, TenantCreate
from tenancy.services import Tenancy
from tests.integration.kafka_tail import TopicTail
from tests.integration.wagen_process import start_group_at_end, wagen, wait_until_stable
from tests.integration.worker.harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    META_TOKEN,
    GenesysSim,
    MetaSim,
    worker_env,
)

A_RATE = 5.0  # Genesys's default: 300 requests/min
A_BACKLOG = 500  # the acceptance's backlog: 100 s of A's budget
A_CONVERSATIONS = 15
B_RATE = 20.0
B_SECONDS = 8.0


@dataclass(frozen=True)
class Tenant:
    """A test tenant and its integration in the simulator."""

    tenant_id: str
    integration_id: str
    number: str


async def make_tenant(tenancy: Tenancy, sim: GenesysSim, name: str, number: str) -> Tenant:
    """A tenant on an unlimited plan with Meta and Genesys credentials and an integration."""
    tenant = Tenant(tenant_id=name, integration_id=str(uuid.uuid4()), number=number)
    actor = Actor(label="admin:test", request_id="req-test")
    await tenancy.tenants.create(TenantCreate(tenant_id=name, name=name, plan="enterprise"), actor)
    meta = {
        "appSecret": "meta-app-secret-worker",
        "verifyToken": "verify-worker",
        "accessToken": META_TOKEN,
        "phoneNumberId": number,
    }
    genesys = {
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "region": "mypurecloud.ie",
        "integrationId": tenant.integration_id,
        "outboundWebhookSecret": "outbound-webhook-secret-0123",
    }
    await tenancy.credentials.put(name, CredentialsWrite(type="meta", credentials=meta), actor)
    await tenancy.credentials.put(
        name, CredentialsWrite(type="genesys", credentials=genesys), actor
    )
    sim.sandbox.integrations[tenant.integration_id] = IntegrationConfig(
        integration_id=tenant.integration_id
    )
    return tenant


def customer_webhook(number: str, customer: str, text: str) -> bytes:
    """A Meta webhook with one text message of ``customer`` to the business ``number``."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": number},
        "contacts": [{"profile": {"name": "Customer"}, "wa_id": customer}],
        "messages": [
            {
                "from": customer,
                "id": f"wamid.{uuid.uuid4().hex}",
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


async def send(producer: AIOKafkaProducer, tenant: Tenant, customer: str, text: str) -> None:
    """What the gateway does with a verified webhook (not waiting for the broker's ack)."""
    headers = [
        ("tenant_id", tenant.tenant_id.encode()),
        ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
        ("request_id", uuid.uuid4().hex.encode()),
    ]
    body = customer_webhook(tenant.number, customer, text)
    await producer.send(WA_WEBHOOKS, body, key=tenant.tenant_id.encode(), headers=headers)


def accepted(sim: GenesysSim, tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's messages the simulator accepted: text and arrival time, in order."""
    return [
        {"text": json.loads(e["body"])["text"], "at": e["at"]}
        for e in sim.sandbox.requests.entries
        if e["scope"] == tenant.integration_id and e["operation"] == "message"
        if e["status"] == 200
    ]


async def until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Wait for ``condition`` (fail at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def b_traffic(
    producer: AIOKafkaProducer, sim: GenesysSim, b: Tenant, tag: str
) -> list[float]:
    """B sends at ``B_RATE`` for ``B_SECONDS`` over 10 conversations; its latencies (s)."""
    count = int(B_RATE * B_SECONDS)
    sent_at: dict[str, float] = {}
    start = time.monotonic()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / B_RATE - time.monotonic()))
        text = f"{tag}-{n}"
        sent_at[text] = time.time()
        await send(producer, b, f"97250000{n % 10:04d}", text)
        await producer.flush()
    await until(lambda: len(_mine(sim, b, tag)) >= count, timeout_s=20)
    return sorted(m["at"] - sent_at[m["text"]] for m in _mine(sim, b, tag))


def _mine(sim: GenesysSim, tenant: Tenant, tag: str) -> list[dict[str, Any]]:
    return [m for m in accepted(sim, tenant) if m["text"].startswith(f"{tag}-")]


def p99(latencies: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    return latencies[max(0, int(len(latencies) * 0.99 + 0.5) - 1)]


StartWorker = Callable[[dict[str, str]], Awaitable[None]]


@pytest.fixture
async def paced_worker(
    tenancy_settings: WagenSettings,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    unique_name: str,
) -> AsyncIterator[StartWorker]:
    """Starts a worker with extra settings (once the tenants exist), stopped with SIGTERM."""
    admin = AIOKafkaAdminClient(bootstrap_servers=tenancy_settings.kafka.servers)
    await admin.start()
    processes: list[subprocess.Popen[str]] = []

    async def start(extra: dict[str, str]) -> None:
        env = {**worker_env(tenancy_settings, genesys_sim, unique_name, meta_sim), **extra}
        processes.append(wagen("worker", env=env))
        await wait_until_stable(admin, unique_name, processes[-1])

    await start_group_at_end(tenancy_settings.kafka.servers, unique_name)
    try:
        yield start
        for process in processes:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            assert process.returncode == 0, output
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
        await admin.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_paced_tenant_does_not_hold_up_another_on_the_same_partitions(
    paced_worker: StartWorker,
    tenancy: Tenancy,
    genesys_sim: GenesysSim,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    name = unique_name.replace("test-", "p")
    a = await make_tenant(tenancy, genesys_sim, f"{name}-a", f"1{uuid.uuid4().int % 10**12:012d}")
    b = await make_tenant(tenancy, genesys_sim, f"{name}-b", f"2{uuid.uuid4().int % 10**12:012d}")
    # Genesys answers A's integration at 5 requests/s, 429 above (burst 10, as Genesys's
    # limiter tolerates a little); B's limit was raised.
    genesys_sim.sandbox.rate_limits.set(
        RateLimitRule(scope=a.integration_id, per_second=A_RATE, burst=10)
    )
    await paced_worker({"WAGEN_PACING_GENESYS_OVERRIDES": json.dumps({b.tenant_id: 6000})})

    alone = await b_traffic(producer, genesys_sim, b, "alone")

    async with TopicTail(tenancy_settings, dlq_topic(WA_EVENTS)) as dlq:
        backlog_start = time.time()
        for n in range(A_BACKLOG):
            await send(producer, a, f"97251000{n % A_CONVERSATIONS:04d}", f"a-{n}")
        await producer.flush()
        # Queued: A's backlog is in the worker, its first calls made, before B starts.
        await until(lambda: len(_mine(genesys_sim, a, "a")) >= 15, timeout_s=30)
        loaded = await b_traffic(producer, genesys_sim, b, "loaded")
        a_during_b = len(_mine(genesys_sim, a, "a"))
        await until(
            lambda: len(_mine(genesys_sim, a, "a")) >= A_BACKLOG, timeout_s=A_BACKLOG / A_RATE + 40
        )
        dead = [
            headers
            for _, headers in await dlq.records_for(
                f"{a.tenant_id}:".encode(), 1, prefix=True, rounds=4
            )
            # Workers of other test runs share the topics and know nothing of this tenant.
            if headers.get("dlq_error_code") != b"tenant_not_found"
        ]

    print(
        f"\nB alone: p50 {loaded_ms(alone, 0.5)} ms, p99 {p99(alone) * 1000:.0f} ms;"
        f" B with A's backlog: p50 {loaded_ms(loaded, 0.5)} ms, p99 {p99(loaded) * 1000:.0f} ms;"
        f" A delivered {a_during_b} during B's run, all {A_BACKLOG} after"
        f" {time.time() - backlog_start:.1f} s"
    )
    # B is not held up by A: the acceptance's bound, plus 0.5 s of slack because the p99 of
    # 160 samples is their second worst, at the mercy of a busy shared machine. Handled one
    # record at a time (WAGEN_PACING_MAX_IN_FLIGHT=1), B waits behind A's 100 s backlog and
    # b_traffic times out, so the slack does not hide head-of-line blocking.
    assert p99(loaded) <= max(2 * p99(alone), p99(alone) + 0.5)
    # A: everything arrives, nothing dead, no 429 (paced before the call, not refused).
    a_messages = _mine(genesys_sim, a, "a")
    assert sorted(m["text"] for m in a_messages) == sorted(f"a-{n}" for n in range(A_BACKLOG))
    assert [(h.get("dlq_error_code"), h.get("dlq_error")) for h in dead] == []
    statuses = Counter(
        e["status"] for e in genesys_sim.sandbox.requests.entries if e["scope"] == a.integration_id
    )
    assert statuses == {200: A_BACKLOG}
    # Paced: never more than the burst plus the rate in any one second.
    times = [m["at"] for m in a_messages]
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 5 + A_RATE + 1
    assert times[-1] - times[0] >= (A_BACKLOG - 5) / A_RATE - 1.0
    # And per conversation, in the order sent.
    for conversation in range(A_CONVERSATIONS):
        texts = [
            m["text"] for m in a_messages if int(m["text"][2:]) % A_CONVERSATIONS == conversation
        ]
        assert texts == [f"a-{n}" for n in range(conversation, A_BACKLOG, A_CONVERSATIONS)]


def loaded_ms(latencies: list[float], quantile: float) -> str:
    """A quantile in milliseconds, for the log line."""
    return f"{latencies[int(len(latencies) * quantile)] * 1000:.0f}"
