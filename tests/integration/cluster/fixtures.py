"""The cluster tests' fixtures (registered by ``conftest.py``): the session's three-broker
cluster, the test's stores on it, worker processes, the load's HTTP client, a gateway."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from pipeline.kafka.topics import TOPICS, ensure_declared_topics
from pipeline.settings import WagenSettings
from tests.conftest import free_port
from tests.integration.acceptance.stack import Genesys, Workers
from tests.integration.cluster.kafka_cluster import Cluster, free_port_run
from tests.integration.wagen_process import WagenProcess, start_group_at_end, wagen
from tests.integration.worker.harness import MetaSim

# Genesys's real 300/min per tenant would pace the load, and pacing is not what is tested.
UNPACED = {"WAGEN_PACING_GENESYS_PER_MINUTE": "600000"}


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory, _stack_reachable: None) -> Iterator[Cluster]:
    """Three KRaft nodes for this package's tests, with wagen's topics (3 replicas, 2 in
    sync); killed after the last test (the data is thrown away, a clean stop only costs)."""
    found = Cluster(tmp_path_factory.mktemp("kafka-cluster"), free_port_run(6))
    try:
        found.stack("up")
        asyncio.run(ensure_declared_topics(found.kafka()))
        # The first consumer group waits for __consumer_offsets to exist: once, here.
        asyncio.run(start_group_at_end(found.servers, "wagen-tests-warm-up"))
        yield found
    finally:
        found.stack("kill", "1", "2", "3")


@pytest.fixture
def cluster_settings(tenancy_settings: WagenSettings, cluster: Cluster) -> WagenSettings:
    """The test's stores, on the cluster."""
    return tenancy_settings.model_copy(update={"kafka": cluster.kafka()})


@pytest.fixture
def workers(
    cluster_settings: WagenSettings, genesys: Genesys, meta: MetaSim, tmp_path: Path
) -> Iterator[Workers]:
    """Worker processes on the cluster (the acceptance harness's factory)."""
    factory = Workers(cluster_settings, genesys, meta, tmp_path)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """The load's HTTP client: a request may wait for Kafka for the whole publish timeout."""
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=500)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        yield session


@asynccontextmanager
async def running_gateway(
    workers: Workers, cluster: Cluster, group: str, http: aiohttp.ClientSession
) -> AsyncIterator[str]:
    """``wagen gateway`` on the cluster and the test's stores; its URL once it answers."""
    port = free_port()
    env = {**workers.env(group), **cluster.env(), "WAGEN_GATEWAY_PORT": str(port)}
    process: WagenProcess = wagen("gateway", env=env)
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


@pytest.fixture
async def healthy_cluster(cluster: Cluster) -> AsyncIterator[Cluster]:
    """The cluster with all three nodes up and in sync before the test and after it."""
    names = [t.name for t in TOPICS]
    await cluster.wait_in_sync(names, timeout_s=120)
    try:
        yield cluster
    finally:
        # A test that failed half-way leaves nodes down: the next one needs them.
        await asyncio.to_thread(cluster.stack, "up")
        await cluster.wait_in_sync(names, timeout_s=180)
