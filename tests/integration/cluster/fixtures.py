"""The cluster tests' fixtures (registered by ``conftest.py``): the session's three-broker
cluster, the test's stores on it, worker processes, the load's HTTP client, a gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from pipeline.kafka.topics import TOPICS, ensure_declared_topics
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import Genesys, Workers
from tests.integration.cluster.kafka_cluster import Cluster, free_port_run
from tests.integration.wagen_process import start_group_at_end
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
