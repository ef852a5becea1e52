"""The soak's faults, one every few minutes in turn: a worker SIGKILLed (and started again),
Redis flushed, a storm of 429s from Genesys, and, on the three-broker cluster, a broker
SIGKILLed (and started again). None falls in the first or the last window, so the two
windows whose p99 are compared measure drift, not a fault."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bench.procs import Proc
from tests.integration.cluster.kafka_cluster import NODES, Cluster

WORKER_DOWN_S = 10.0
BROKER_DOWN_S = 30.0
STORM_S = 20.0


@dataclass
class FaultLog:
    """What happened when (wall clock), for the results and the plot."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, started: float, ended: float, **details: Any) -> None:
        """One fault, from its start to when the system was whole again."""
        self.entries.append({"kind": kind, "start": started, "end": ended, **details})


@dataclass
class Faults:
    """The fault actions of one run."""

    restart_worker: Callable[[], Awaitable[Proc]]
    victim: Callable[[], Proc]
    redis_url: str
    redis_prefix: str
    flush_all: bool
    genesys_url: str
    storm_per_s: float
    cluster: Cluster | None
    log: FaultLog = field(default_factory=FaultLog)
    _broker_turn: int = 0

    def kinds(self) -> list[str]:
        """The rotation (a broker only on the cluster)."""
        kinds = ["worker_killed", "redis_flushed", "genesys_429_storm"]
        return [*kinds, "broker_killed"] if self.cluster is not None else kinds

    async def inject(self, kind: str) -> None:
        """Run one fault to its end."""
        action = {
            "worker_killed": self._worker_killed,
            "redis_flushed": self._redis_flushed,
            "genesys_429_storm": self._storm,
            "broker_killed": self._broker_killed,
        }[kind]
        await action()

    async def _worker_killed(self) -> None:
        started = time.time()
        victim = self.victim()
        victim.popen.kill()
        await asyncio.to_thread(victim.popen.wait)
        await asyncio.sleep(WORKER_DOWN_S)
        replacement = await self.restart_worker()
        self.log.add("worker_killed", started, time.time(), pid=victim.pid, new=replacement.pid)

    async def _redis_flushed(self) -> None:
        started = time.time()
        client: Redis = Redis.from_url(self.redis_url)
        try:
            if self.flush_all:
                await client.flushall()
                deleted = -1
            else:
                # Everything wagen keeps in Redis is under the run's prefix: to wagen this is
                # a flush, and nothing else on a shared Redis is touched.
                keys = [k async for k in client.scan_iter(match=f"{self.redis_prefix}*")]
                deleted = await client.delete(*keys) if keys else 0
        finally:
            await client.aclose()
        self.log.add("redis_flushed", started, time.time(), keys=deleted)

    async def _storm(self) -> None:
        started = time.time()
        count = max(1, round(self.storm_per_s * STORM_S))
        rule = {"kind": "rate_limit", "operation": "message", "count": count, "retry_after": 2}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.genesys_url}/_sandbox/failures", json=rule) as response,
        ):
            response.raise_for_status()
        await asyncio.sleep(STORM_S)
        self.log.add("genesys_429_storm", started, time.time(), answers_429=count)

    async def _broker_killed(self) -> None:
        assert self.cluster is not None
        node = NODES[self._broker_turn % len(NODES)]
        self._broker_turn += 1
        started = time.time()
        await self.cluster.kill(node)
        await asyncio.sleep(BROKER_DOWN_S)
        restart_s = await self.cluster.start(node)
        self.log.add("broker_killed", started, time.time(), node=node, restart_s=restart_s)


# Room after a fault's start for it and the recovery (a node restart included).
RECOVERY_S = 60.0


def last_start(duration_s: float, window_s: float) -> float:
    """The latest offset a fault may start at and still be over before the last window."""
    return duration_s - window_s - RECOVERY_S


def schedule(
    duration_s: float, window_s: float, every_s: float, kinds: list[str]
) -> list[tuple[float, str]]:
    """(offset, kind) of each fault: from the end of the first window, every ``every_s``,
    in turn, none starting after :func:`last_start`."""
    plan: list[tuple[float, str]] = []
    at = window_s
    while at <= last_start(duration_s, window_s):
        plan.append((at, kinds[len(plan) % len(kinds)]))
        at += every_s
    return plan
