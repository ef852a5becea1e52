"""The soak's world: its parameters, the simulators and tenants, and the processes it runs
(one gateway, a steady worker measured throughout and a victim worker the faults kill),
with what it takes to sample their memory."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import Proc, Processes, free_port, wait_http
from bench.world import (
    World,
    conversations_of,
    create_tenants,
    new_tenant,
    register_in_simulators,
    write_tenants,
)
from pipeline.settings import WagenSettings
from tests.integration.cluster.kafka_cluster import Cluster
from tests.integration.wagen_process import group_state


@dataclass(frozen=True)
class SoakConfig:
    """The soak's parameters (the command line's, in seconds)."""

    duration_s: float
    tenants: int
    conversations: int
    rates: dict[str, float]
    fault_every_s: float
    window_s: float
    sample_s: float
    growth_from_s: float
    cluster: bool
    flush_all: bool
    out: Path
    keep_logs: bool = False


def rss_mib(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Soak:
    """One run's processes and what they need to be measured and broken."""

    cfg: SoakConfig
    world: World
    procs: Processes
    cluster: Cluster | None
    group: str
    gateway: Proc | None = None
    steady: Proc | None = None
    victim: Proc | None = None

    def env(self, **extra: str) -> dict[str, str]:
        """A gateway's or worker's environment on this run's stores and Kafka."""
        return self.world.env(**(self.cluster.env() if self.cluster else {}), **extra)

    async def start_gateway(self) -> str:
        port = free_port()
        self.gateway = self.procs.spawn(
            "gateway", ["-m", "pipeline", "gateway"], self.env(WAGEN_GATEWAY_PORT=str(port))
        )
        url = f"http://127.0.0.1:{port}"
        await wait_http(f"{url}/healthz", self.gateway)
        return url

    async def start_worker(self, name: str) -> Proc:
        proc = self.procs.spawn(
            name, ["-m", "pipeline", "worker"], self.env(WAGEN_WORKER_APP_ID=self.group)
        )
        if name == "worker-steady":
            self.steady = proc
        else:
            self.victim = proc
        return proc

    def current_victim(self) -> Proc:
        """The worker the faults kill, as it runs now."""
        if self.victim is None:
            raise RuntimeError("the victim worker was never started")
        return self.victim

    async def restart_victim(self) -> Proc:
        if self.victim is not None and self.victim in self.procs.running:
            self.procs.running.remove(self.victim)
        return await self.start_worker("worker-victim")

    async def wait_group(self, members: int, timeout_s: float = 240) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.world.settings.kafka.servers)
        await admin.start()
        try:
            async with asyncio.timeout(timeout_s):
                while await group_state(admin, self.group) != ("Stable", members):
                    for proc in (self.steady, self.victim):
                        if proc is not None:
                            proc.check_alive()
                    await asyncio.sleep(0.5)
        finally:
            await admin.close()

    def sample(self) -> dict[str, tuple[int, float]]:
        """RSS of wagen's processes, the simulators and the soak's own Kafka nodes."""
        found: dict[str, tuple[int, float]] = {}
        for proc in self.procs.running:
            if proc.name.startswith(("gateway", "worker", "simulators")):
                rss = rss_mib(proc.pid)
                if rss is not None:
                    found[proc.name] = (proc.pid, rss)
        if self.cluster is not None:
            for pid_file in sorted((self.cluster.directory / "run").glob("kafka-*.pid")):
                pid = int(pid_file.read_text().strip())
                rss = rss_mib(pid)
                if rss is not None:
                    found[pid_file.stem] = (pid, rss)
        return found


async def set_up_world(
    run: str, settings: WagenSettings, procs: Processes, cfg: SoakConfig
) -> World:
    """The simulators' process, the tenants (created and registered), the conversations."""
    genesys_port, meta_port = free_port(), free_port()
    sims = procs.spawn("simulators", ["-m", "bench.sims", str(genesys_port), str(meta_port)], {})
    genesys_url, meta_url = f"http://127.0.0.1:{genesys_port}", f"http://127.0.0.1:{meta_port}"
    await wait_http(f"{genesys_url}/_sandbox/health", sims)
    await wait_http(f"{meta_url}/_sandbox/health", sims)
    world = World(
        run=run,
        settings=settings,
        scratch=procs.scratch,
        genesys_url=genesys_url,
        meta_url=meta_url,
        tenants=[new_tenant(run, f"s{n:03d}", n + 1) for n in range(cfg.tenants)],
        conversations=conversations_of(cfg.conversations, cfg.tenants),
    )
    stamp = time.strftime("%H:%M:%S")
    print(f"[soak {stamp}] run {run}: {cfg.tenants} tenants, {cfg.conversations} conversations")
    await create_tenants(settings, world.tenants)
    write_tenants(world)
    await register_in_simulators(genesys_url, meta_url, world.tenants, world.conversations)
    return world
