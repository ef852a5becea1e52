"""Brokers of a real three-broker cluster fail while webhooks arrive and a worker consumes.

Each test drives a steady load through a real gateway into a real worker and the Genesys
simulator, Meta's way (a refused webhook is sent again a second later until it is taken),
breaks the cluster under it, and counts exactly: sent, acknowledged (200), refused (and for
how long), delivered to Genesys, doubled, lost (acknowledged but never delivered); plus the
longest pause in deliveries and how long the cluster took to heal. The figures are printed
(``pytest -s``) and quoted in the README. Topics have three replicas and need two in sync.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiokafka import TopicPartition

from pipeline.kafka.topics import TOPICS, WA_WEBHOOKS
from tests.integration.acceptance.stack import Genesys, Tenant, Tenants, Workers, end_offsets
from tests.integration.cluster.fixtures import UNPACED
from tests.integration.cluster.kafka_cluster import NODES, Cluster
from tests.integration.cluster.load import Arrivals, Figures, Load, figures, stored, wait_delivered
from tests.integration.gateway_process import running_gateway

pytestmark = [pytest.mark.timeout(420), pytest.mark.slow]

RATE = 20.0  # webhooks a second
TENANTS = 6
WARM_S = 5.0  # load before the fault
FAULT_S = 10.0  # load while the fault lasts
NAMES = [t.name for t in TOPICS]


async def _tenants(tenants: Tenants, label: str) -> list[Tenant]:
    return [await tenants.create(f"{label}{n}") for n in range(TENANTS)]


async def _start_worker(workers: Workers, cluster: Cluster, group: str) -> None:
    await workers.start(group, {**cluster.env(), **UNPACED})


def _gateway_env(workers: Workers, cluster: Cluster, group: str) -> dict[str, str]:
    """The gateway on the cluster and the test's stores (as the worker sees them)."""
    return {**workers.env(group), **cluster.env()}


async def _busiest_leader(cluster: Cluster, before: dict[TopicPartition, int]) -> int:
    """The leader of the ``wa.webhooks`` partition that took the most records since
    ``before``: the node whose loss interrupts the most traffic."""
    after = await end_offsets(cluster.servers, [WA_WEBHOOKS])
    busiest = max(after, key=lambda tp: after[tp] - before.get(tp, 0))
    return (await cluster.leaders(WA_WEBHOOKS))[busiest.partition]


async def _successor(cluster: Cluster, victim: int) -> int:
    """The next active controller, once the quorum has elected one."""
    async with asyncio.timeout(60):
        while True:
            found = await cluster.controller()
            if found is not None and found != victim:
                return found
            await asyncio.sleep(0.2)


def _held(found: Figures) -> None:
    """What every fault must leave true."""
    assert found.unstored_acknowledged == 0, "a 200 for a body Kafka does not hold"
    assert found.sent_once_stored_twice == 0, "the producer's own retry stored a body twice"
    assert (found.lost, found.doubled) == (0, 0)
    assert found.delivered == found.acknowledged == found.sent


def _report(label: str, line: str, **times: float) -> None:
    extra = ", ".join(f"{name.replace('_', ' ')} {value:.1f} s" for name, value in times.items())
    print(f"\n[cluster] {line}; {extra}")  # shown with -s, and on failure


async def test_the_busiest_leader_killed_loses_and_doubles_nothing_then_rejoins(
    healthy_cluster: Cluster,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    http: aiohttp.ClientSession,
    unique_name: str,
) -> None:
    cluster = healthy_cluster
    ours = await _tenants(tenants, "k")
    await _start_worker(workers, cluster, unique_name)
    before = await end_offsets(cluster.servers, [WA_WEBHOOKS])
    async with (
        running_gateway(_gateway_env(workers, cluster, unique_name), http) as url,
        Arrivals(genesys) as arrivals,
        Load(http, url, ours, RATE) as load,
    ):
        await asyncio.sleep(WARM_S)
        victim = await _busiest_leader(cluster, before)
        killed_at = await cluster.kill(victim)
        await asyncio.sleep(FAULT_S)
        # Back under the same load: it catches up and rejoins every partition's ISR.
        restart_s = await cluster.start(victim)
        in_sync_s = await cluster.wait_in_sync(NAMES, timeout_s=120)
        await load.finish()
        await wait_delivered(load, genesys, timeout_s=90)
    copies = await stored(cluster.servers, WA_WEBHOOKS, before)
    found = figures(load, genesys, arrivals, (killed_at, killed_at + FAULT_S), copies)
    _report(
        f"leader node {victim} SIGKILLed",
        found.line("load"),
        restart=restart_s,
        back_in_sync_after_restart=in_sync_s,
    )
    _held(found)


async def test_the_active_controller_killed_loses_and_doubles_nothing(
    healthy_cluster: Cluster,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    http: aiohttp.ClientSession,
    unique_name: str,
) -> None:
    cluster = healthy_cluster
    ours = await _tenants(tenants, "c")
    await _start_worker(workers, cluster, unique_name)
    before = await end_offsets(cluster.servers, [WA_WEBHOOKS])
    async with (
        running_gateway(_gateway_env(workers, cluster, unique_name), http) as url,
        Arrivals(genesys) as arrivals,
        Load(http, url, ours, RATE) as load,
    ):
        await asyncio.sleep(WARM_S)
        victim = await cluster.controller()
        assert victim is not None
        killed_at = await cluster.kill(victim)
        successor = await _successor(cluster, victim)
        elected_s = time.monotonic() - killed_at
        await asyncio.sleep(max(0.0, killed_at + FAULT_S - time.monotonic()))
        restart_s = await cluster.start(victim)
        in_sync_s = await cluster.wait_in_sync(NAMES, timeout_s=120)
        await load.finish()
        await wait_delivered(load, genesys, timeout_s=90)
    copies = await stored(cluster.servers, WA_WEBHOOKS, before)
    found = figures(load, genesys, arrivals, (killed_at, killed_at + FAULT_S), copies)
    _report(
        f"active controller node {victim} SIGKILLed (node {successor} took over)",
        found.line("load"),
        new_controller_after=elected_s,
        restart=restart_s,
        back_in_sync_after_restart=in_sync_s,
    )
    _held(found)


async def test_two_brokers_down_refuse_with_503_then_recover_by_themselves(
    healthy_cluster: Cluster,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    http: aiohttp.ClientSession,
    unique_name: str,
) -> None:
    cluster = healthy_cluster
    ours = await _tenants(tenants, "d")
    await _start_worker(workers, cluster, unique_name)
    before = await end_offsets(cluster.servers, [WA_WEBHOOKS])
    async with (
        running_gateway(_gateway_env(workers, cluster, unique_name), http) as url,
        Arrivals(genesys) as arrivals,
        Load(http, url, ours, RATE) as load,
    ):
        await asyncio.sleep(WARM_S)
        first, second = NODES[:2]
        killed_at = await cluster.kill(first)
        await cluster.kill(second)
        await asyncio.sleep(FAULT_S)
        returning_at = time.monotonic()
        # One node back: two of three in sync again; nothing of wagen is restarted.
        restart_s = await cluster.start(first)
        await asyncio.sleep(5.0)
        await load.finish()
        await wait_delivered(load, genesys, timeout_s=120)
        await cluster.start(second)
        in_sync_s = await cluster.wait_in_sync(NAMES, timeout_s=180)
    copies = await stored(cluster.servers, WA_WEBHOOKS, before)
    found = figures(load, genesys, arrivals, (killed_at, returning_at + restart_s), copies)
    # With one broker of three, no write has two replicas: nothing may be taken (200)
    # from the moment the in-flight requests settled until a node came back.
    taken_while_down = [
        a
        for a in load.attempts
        if a.status == 200 and killed_at + 1.0 < a.answered_at < returning_at
    ]
    refused = [a for a in load.attempts if killed_at < a.answered_at < returning_at + restart_s]
    first_taken = min(
        (a.answered_at for a in load.attempts if a.status == 200 and a.answered_at > returning_at),
        default=float("inf"),
    )
    _report(
        f"nodes {first} and {second} SIGKILLed, node {first} back",
        found.line("load"),
        first_200_after_node_back=first_taken - returning_at,
        node_start=restart_s,
        all_in_sync_after_the_second_is_back=in_sync_s,
    )
    assert taken_while_down == []
    assert {a.status for a in refused} - {200} == {503}, "refusals are 503, nothing else"
    assert found.refused > 0
    _held(found)
