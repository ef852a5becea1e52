"""A sandbox conversation through a real ``wagen gateway`` and a real ``wagen worker``, then
both processes' ``/metrics`` scraped: the counts match what was sent.

Customer messages go to the gateway's signed per-tenant route, the worker carries them to
the Genesys simulator, an agent reply comes back through the gateway and reaches the Meta
simulator. One webhook with a bad signature and one for a tenant that does not exist are
refused on the way, alike.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from connectors.signatures import SIGNATURE_HEADER, sign_genesys, sign_meta
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_EVENTS, WA_WEBHOOKS, dlq_topic
from tests.conftest import free_port
from tests.integration.acceptance.stack import (
    OUTBOUND_SECRET,
    Genesys,
    Tenant,
    Tenants,
    Workers,
    text_webhook,
)
from tests.integration.genesys_bodies import agent_webhook as genesys_agent_webhook
from tests.integration.wagen_process import WagenProcess, wagen
from tests.integration.worker.harness import MetaSim

MESSAGES = 3
CUSTOMER = "15557654321"


@dataclass(frozen=True)
class Scrape:
    """One exposition of a process's registry, parsed."""

    samples: list[Sample]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples named ``name`` whose labels include ``labels``."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def has(self, name: str, **labels: str) -> bool:
        """Whether any sample named ``name`` has ``labels``."""
        return any(
            s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
            for s in self.samples
        )


async def scrape(http: aiohttp.ClientSession, url: str) -> Scrape:
    """``GET url`` and parse the Prometheus text exposition."""
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return Scrape([s for f in text_string_to_metric_families(text) for s in f.samples])


async def scrape_until(
    http: aiohttp.ClientSession, url: str, ready: Callable[[Scrape], bool], timeout_s: float
) -> Scrape:
    """Scrape until ``ready`` holds (the worker counts right after its vendor call returns)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await scrape(http, url)
        if ready(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.25)


@dataclass(frozen=True)
class Gateway:
    """A running ``wagen gateway`` process."""

    url: str
    metrics_url: str
    process: WagenProcess


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the gateway and the scrapes."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def gateway(
    workers: Workers, unique_name: str, http: aiohttp.ClientSession
) -> AsyncIterator[Gateway]:
    """``wagen gateway`` on a free port, on the test's stores, once ``/healthz`` answers."""
    port = free_port()
    metrics_port = free_port()
    env = {
        **workers.env(unique_name),
        "WAGEN_GATEWAY_PORT": str(port),
        "WAGEN_GATEWAY_METRICS_PORT": str(metrics_port),
    }
    process = wagen("gateway", env=env)
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
        yield Gateway(url, f"http://127.0.0.1:{metrics_port}", process)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
        assert process.returncode == 0, output[-4000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def agent_reply(tenant: Tenant, text: str) -> bytes:
    """The Genesys outbound webhook of an agent's text to the customer."""
    return genesys_agent_webhook(tenant.integration_id, CUSTOMER, text=text)


async def post(http: aiohttp.ClientSession, url: str, body: bytes, signature: str) -> int:
    """POST a webhook; its status."""
    async with http.post(url, data=body, headers={SIGNATURE_HEADER: signature}) as response:
        return response.status


async def test_a_conversation_is_counted_by_the_gateway_and_the_worker(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    meta: MetaSim,
    gateway: Gateway,
    http: aiohttp.ClientSession,
    unique_name: str,
) -> None:
    tenant = await tenants.create("m")
    worker_port = free_port()
    await workers.start(
        unique_name,
        {
            "WAGEN_WORKER_METRICS_PORT": str(worker_port),
            "WAGEN_WORKER_METRICS_SAMPLE_INTERVAL_S": "0.5",
        },
    )
    worker_metrics = f"http://127.0.0.1:{worker_port}/metrics"
    meta_route = f"{gateway.url}/webhooks/meta/{tenant.tenant_id}"

    # The customer writes MESSAGES times; one more webhook carries a wrong signature, and
    # one goes to a tenant nobody created.
    for n in range(MESSAGES):
        body = text_webhook(tenant, CUSTOMER, f"wamid.{uuid.uuid4().hex}", f"message {n}")
        assert await post(http, meta_route, body, sign_meta(body, tenant.app_secret)) == 200
    forged = text_webhook(tenant, CUSTOMER, f"wamid.{uuid.uuid4().hex}", "forged")
    assert await post(http, meta_route, forged, sign_meta(forged, "not-the-secret")) == 401
    nobody = f"{gateway.url}/webhooks/meta/{unique_name}-nobody"
    assert await post(http, nobody, forged, sign_meta(forged, "whatever")) == 401
    await genesys.wait_delivered(MESSAGES, timeout_s=30)

    # The agent answers; the reply goes through the gateway to the Meta simulator.
    meta.sandbox.open_window(tenant.number, CUSTOMER)
    reply = agent_reply(tenant, "Your order ships today")
    genesys_route = f"{gateway.url}/webhooks/genesys/{tenant.tenant_id}"
    assert await post(http, genesys_route, reply, sign_genesys(reply, OUTBOUND_SECRET)) == 200
    for _ in range(300):
        if meta.sandbox.sent:
            break
        await asyncio.sleep(0.1)
    assert len(meta.sandbox.sent) == 1, "the agent's reply did not reach the Meta simulator"

    me = tenant.tenant_id
    worker = await scrape_until(
        http,
        worker_metrics,
        lambda s: (
            s.value("wagen_end_to_end_latency_seconds_count", direction="to_meta") >= 1
            and s.value("wagen_agent_events_total", agent="forward_to_genesys", tenant=me)
            >= MESSAGES
        ),
        timeout_s=20,
    )
    # Every customer message was split, delivered to Genesys once, with a 200, in one piece.
    assert (
        worker.value(
            "wagen_agent_events_total", agent="split_meta_webhooks", outcome="split", tenant=me
        )
        == MESSAGES
    )
    assert (
        worker.value(
            "wagen_agent_events_total", agent="forward_to_genesys", outcome="delivered", tenant=me
        )
        == MESSAGES
    )
    assert (
        worker.value(
            "wagen_outbound_requests_total",
            destination="genesys",
            operation="inbound_message",
            status="200",
            tenant=me,
        )
        == MESSAGES
    )
    assert worker.value("wagen_end_to_end_latency_seconds_count", direction="to_genesys") == (
        MESSAGES
    )
    # The reply: sent to Meta once, with a 200, its end-to-end latency observed once.
    assert (
        worker.value("wagen_agent_events_total", agent="forward_to_meta", outcome="sent", tenant=me)
        == 1
    )
    assert (
        worker.value(
            "wagen_outbound_requests_total",
            destination="meta",
            operation="send",
            status="200",
            tenant=me,
        )
        == 1
    )
    assert worker.value("wagen_end_to_end_latency_seconds_count", direction="to_meta") == 1
    assert worker.value("wagen_genesys_token_refreshes_total", outcome="ok", tenant=me) >= 1
    assert worker.value("wagen_genesys_token_refreshes_total", outcome="refused", tenant=me) == 0
    assert worker.value(
        "wagen_agent_processing_duration_seconds_count", agent="forward_to_genesys"
    ) >= (MESSAGES)
    assert worker.value("wagen_dlq_written_total", tenant=me) == 0
    assert worker.value("wagen_retries_total", tenant=me) == 0

    # The sampler reports the group's lag (all caught up by now) and every DLQ's size.
    lag = {"group": unique_name, "topic": WA_EVENTS}
    sampled = await scrape_until(
        http,
        worker_metrics,
        lambda s: (
            s.has("wagen_consumer_lag_records", **lag)
            and s.value("wagen_consumer_lag_records", **lag) == 0
            and s.has("wagen_dlq_records", topic=dlq_topic(WA_EVENTS))
        ),
        timeout_s=20,
    )
    assert sampled.value("wagen_consumer_lag_records", **lag) == 0
    for dlq in map(dlq_topic, (WA_WEBHOOKS, WA_EVENTS, GENESYS_WEBHOOKS)):
        assert sampled.has("wagen_dlq_records", topic=dlq)
    sampled_at = sampled.value("wagen_kafka_sample_timestamp_seconds", group=unique_name)
    assert sampled_at > time.time() - 60

    # The gateway: every signed webhook received under its tenant; the forged one and the
    # unknown tenant's alike under "_unknown" (an unverified request names no tenant, and a
    # made-up path mints no series); each stored one produced.
    front = await scrape(http, f"{gateway.metrics_url}/metrics")
    assert front.value("wagen_webhooks_received_total", source="meta", tenant=me) == MESSAGES
    assert front.value("wagen_webhooks_received_total", source="genesys", tenant=me) == 1
    assert front.value("wagen_webhooks_rejected_total", tenant=me) == 0
    assert (
        front.value(
            "wagen_webhooks_rejected_total",
            source="meta",
            tenant="_unknown",
            reason="bad_signature",
        )
        == 2
    )
    assert not front.has("wagen_webhooks_received_total", tenant=f"{unique_name}-nobody")
    assert front.value("wagen_webhooks_stored_total", source="meta", tenant=me) == MESSAGES
    assert front.value("wagen_webhooks_stored_total", source="genesys", tenant=me) == 1
    assert (
        front.value("wagen_kafka_produce_duration_seconds_count", topic=WA_WEBHOOKS, outcome="ok")
        == MESSAGES
    )
    assert (
        front.value(
            "wagen_kafka_produce_duration_seconds_count", topic=GENESYS_WEBHOOKS, outcome="ok"
        )
        == 1
    )
