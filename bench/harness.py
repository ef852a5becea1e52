"""What the scenarios share: starting wagen's processes, driving load, collecting arrivals.

Load always comes from ``bench.loadgen`` processes; arrivals from the simulators' process.
Each measurement reports the CPU seconds every process involved used during it, so a
table can show how the two cores were shared.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
from aiokafka.admin import AIOKafkaAdminClient

from bench.loadgen import LoadSpec, Sent
from bench.procs import (
    BenchError,
    Proc,
    Processes,
    free_port,
    machine_seconds,
    stack_cpu_seconds,
    wait_http,
)
from bench.report import latency_ms, ratio
from bench.world import World
from tests.integration.wagen_process import group_state, start_group_at_end


@dataclass
class Load:
    """One load: what the generators sent and what answered."""

    sent: list[tuple[str, float, float, int]]
    loadgen_cpu_s: float
    wall_s: float

    @property
    def ok(self) -> list[tuple[str, float, float, int]]:
        """Requests answered 200."""
        return [r for r in self.sent if r[3] == 200]

    @property
    def errors(self) -> int:
        """Requests not answered 200."""
        return len(self.sent) - len(self.ok)

    @property
    def first_send(self) -> float:
        """Wall-clock time of the first request."""
        return min(r[1] for r in self.sent)

    @property
    def last_answer(self) -> float:
        """Wall-clock time of the last answer."""
        return max(r[1] + r[2] for r in self.sent)

    def acked_per_s(self) -> float:
        """Requests answered 200 per second, first send to last answer."""
        return ratio(len(self.ok), self.last_answer - self.first_send)

    def ack_latency_ms(self) -> dict[str, float]:
        """Percentiles of the answer latency of the 200s."""
        return latency_ms([r[2] for r in self.ok])


@dataclass
class Bench:
    """A run: its world, its processes, and counters for unique run ids."""

    world: World
    procs: Processes
    loadgen_processes: int
    _runs: int = 0
    gateways: list[str] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    group: str = ""
    profiles: list[str] = field(default_factory=list)

    def run_id(self, label: str) -> str:
        """A fresh id prefix for one measurement's messages."""
        self._runs += 1
        return f"{self.world.run}{label}{self._runs}"

    async def load(
        self,
        kind: str,
        targets: Sequence[str],
        *,
        count: int,
        concurrency: int,
        run_id: str,
        rate: float | None = None,
        conversations: list[tuple[int, str]] | None = None,
        processes: int | None = None,
    ) -> Load:
        """Send ``count`` signed webhooks of ``kind`` from load generator processes."""
        n = processes or self.loadgen_processes
        path = "/webhooks/meta/{tenant}" if kind == "meta" else "/webhooks/genesys/{tenant}"
        spawned = []
        for index in range(n):
            spec = LoadSpec(
                kind=kind,
                targets=list(targets),
                path=path,
                tenants_file=str(self.world.tenants_file),
                conversations=conversations or self.world.conversations,
                run_id=run_id,
                count=count,
                concurrency=max(1, concurrency // n),
                rate=rate,
                share=(index, n),
            )
            spec_file = self.procs.scratch / f"load-{run_id}-{index}.json"
            spec_file.write_text(spec.model_dump_json())
            out = self.procs.scratch / f"sent-{run_id}-{index}.json"
            proc = self.procs.spawn(
                f"loadgen-{run_id}-{index}", ["-m", "bench.loadgen", str(spec_file), str(out)], {}
            )
            spawned.append((proc, out))
        sent: list[tuple[str, float, float, int]] = []
        cpu = wall = 0.0
        for proc, out in spawned:
            await self.procs.finish(proc)
            result = Sent.model_validate_json(out.read_bytes())
            sent += result.requests
            cpu += result.cpu_s
            wall = max(wall, result.wall_s)
        return Load(sent, cpu, wall)

    async def start_gateway(self, label: str) -> str:
        """A ``wagen gateway`` on a free port; its base URL once /healthz answers."""
        port = free_port()
        proc = self.procs.spawn(
            f"gateway-{label}",
            ["-m", "pipeline", "gateway"],
            self.world.env(WAGEN_GATEWAY_PORT=str(port)),
        )
        url = f"http://127.0.0.1:{port}"
        await wait_http(f"{url}/healthz", proc)
        self.gateways.append(url)
        return url

    async def start_workers(self, total: int) -> None:
        """Grow the worker group to ``total`` processes; return once it is stable with all."""
        servers = self.world.settings.kafka.servers
        if not self.group:
            self.group = f"wagen-bench-{self.world.run}"
            await start_group_at_end(servers, self.group)
        while len(self.workers) < total:
            self.workers.append(
                self.procs.spawn(
                    f"worker-{len(self.workers)}",
                    ["-m", "pipeline", "worker"],
                    self.world.env(WAGEN_WORKER_APP_ID=self.group),
                )
            )
        while len(self.workers) > total:
            self.procs.stop(self.workers.pop())
        await self.wait_group(total)

    async def wait_group(self, members: int, timeout_s: float = 180) -> None:
        """Wait until the worker group is stable with ``members`` members."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.world.settings.kafka.servers)
        await admin.start()
        try:
            deadline = time.monotonic() + timeout_s
            while await group_state(admin, self.group) != ("Stable", members):
                for worker in self.workers:
                    worker.check_alive()
                if time.monotonic() > deadline:
                    raise BenchError(f"worker group not stable with {members} after {timeout_s}s")
                await asyncio.sleep(0.5)
        finally:
            await admin.close()

    async def arrivals(self, prefix: str) -> dict[str, float]:
        """``{bench id: arrival time}`` at either simulator, for ids starting with ``prefix``."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{self.world.genesys_url}/_bench/arrivals", params={"prefix": prefix}
            ) as response,
        ):
            found: dict[str, float] = await response.json()
            return found

    async def wait_arrivals(self, prefix: str, count: int, timeout_s: float) -> dict[str, float]:
        """Arrivals of ``prefix`` once ``count`` are in, or whatever came by the timeout."""
        deadline = time.monotonic() + timeout_s
        url = f"{self.world.genesys_url}/_bench/count"
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                async with session.get(url, params={"prefix": prefix}) as response:
                    if int(await response.json()) >= count:
                        break
                await asyncio.sleep(0.25)
        return await self.arrivals(prefix)


@dataclass(frozen=True)
class Delivery:
    """End-to-end figures of one load: webhook sent → simulator accepted."""

    sent: int
    sent_per_s: float
    acked: int
    delivered: int
    per_s: float
    latency: dict[str, float]


def delivery(load: Load, arrivals: dict[str, float]) -> Delivery:
    """Match each acknowledged request with its arrival.

    An acknowledged message that has not arrived (the wait timed out) counts as infinitely
    late, so a percentile it reaches shows as a timeout instead of looking good.
    """
    latencies = []
    for bench_id, sent_at, _latency, status in load.sent:
        if status != 200:
            continue
        arrived = arrivals.get(bench_id)
        latencies.append(math.inf if arrived is None else arrived - sent_at)
    delivered = sum(1 for latency in latencies if latency != math.inf)
    last = max(arrivals.values(), default=load.first_send)
    starts = [r[1] for r in load.sent]
    return Delivery(
        sent=len(load.sent),
        sent_per_s=ratio(len(starts) - 1, max(starts) - min(starts)) if starts else math.nan,
        acked=len(load.ok),
        delivered=delivered,
        per_s=ratio(delivered, last - load.first_send),
        latency=latency_ms(latencies),
    )


def cpu_of(procs: Sequence[Proc]) -> dict[str, float]:
    """CPU seconds used so far by each process, each stack service, and the whole machine."""
    busy, stolen = machine_seconds()
    return {
        **{p.name: p.cpu_s() for p in procs},
        **stack_cpu_seconds(),
        "machine busy": busy,
        "stolen by the host": stolen,
    }


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds between two snapshots per process, stack service and the whole machine."""
    used: dict[str, float] = {}
    for key, end in after.items():
        # ``service#pid`` entries add up per service; a process that exited in between is
        # missing from ``after`` and its last share is lost (an undercount, never negative).
        name = key.split("#", 1)[0]
        used[name] = used.get(name, 0.0) + max(0.0, end - before.get(key, 0.0))
    return used


def cpu_share(before: dict[str, float], after: dict[str, float], wall_s: float) -> str:
    """CPU use between two snapshots as a share of one core (2 cores = 200 %): each process,
    each stack service, and the whole machine (whatever else runs on it included)."""
    if wall_s <= 0:
        return "?"
    used = cpu_used(before, after)
    return ", ".join(f"{name} {100 * seconds / wall_s:.0f}%" for name, seconds in used.items())


@dataclass
class CpuSampler:
    """Snapshots of :func:`cpu_of` every ``interval_s`` while a measurement runs, so the
    shares cover exactly the loaded interval (not the load generator's start-up)."""

    procs: Sequence[Proc]
    interval_s: float = 0.25
    snapshots: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> CpuSampler:
        self.snapshots.append((time.time(), cpu_of(self.procs)))
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.snapshots.append((time.time(), cpu_of(self.procs)))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            self.snapshots.append((time.time(), cpu_of(self.procs)))

    def _bracket(
        self, start: float, end: float
    ) -> tuple[tuple[float, dict[str, float]], tuple[float, dict[str, float]]]:
        first = max((s for s in self.snapshots if s[0] <= start), default=self.snapshots[0])
        last = min((s for s in self.snapshots if s[0] >= end), default=self.snapshots[-1])
        return first, last

    def share(self, start: float, end: float) -> str:
        """Shares over the snapshots that bracket the wall-clock interval [start, end]."""
        first, last = self._bracket(start, end)
        return cpu_share(first[1], last[1], last[0] - first[0])

    def seconds(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds over the snapshots that bracket the wall-clock interval [start, end]."""
        first, last = self._bracket(start, end)
        return cpu_used(first[1], last[1])
