"""``python -m bench.soak`` (``make soak``): wagen for a long while at a steady mixed load
over many tenants both ways, with a fault every few minutes, to show what a short test
cannot: a leak, a slow drift of latency, a message lost or doubled by a fault.

One gateway and two workers in one group (one is killed by the faults, the other stays up
to be measured) on the three-broker cluster the soak starts for itself (``--single-broker``:
the dev stack's Kafka, and no broker faults), the dev stack's PostgreSQL, Redis and OpenBao
under the run's own database, prefixes and paths, the simulators in their own process.
Memory of every process every ``--sample-s``; results in ``<out>.json`` and a plot of
memory and latency over time in ``<out>.svg`` (fields: bench/results/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench import plot
from bench.procs import REPO_ROOT, Processes
from bench.soak_faults import Faults, last_start, schedule
from bench.soak_load import SteadyLoad
from bench.soak_report import (
    JUDGED,
    MemorySamples,
    latency_series,
    latency_windows,
    targets,
    totals,
    write,
)
from bench.soak_world import Soak, SoakConfig, set_up_world
from bench.world import World, bench_stores
from pipeline.kafka.topics import ensure_declared_topics
from pipeline.settings import WagenSettings
from tests.integration.cluster.kafka_cluster import Cluster, free_port_run
from tests.integration.wagen_process import start_group_at_end

SCRATCH = REPO_ROOT / "bench" / ".scratch"


def _say(text: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {text}", flush=True)


async def _bench_json(world: World, route: str, prefix: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{world.genesys_url}/_bench/{route}", params={"prefix": prefix}) as answer,
    ):
        found: dict[str, Any] = await answer.json()
        return found


async def _warm_up(soak: Soak, http: aiohttp.ClientSession, url: str) -> None:
    """One customer message per conversation (mappings, windows, caches); not measured."""
    world = soak.world
    load = SteadyLoad(
        http, url, world.tenants, world.conversations, f"{world.run}w", {"meta": 50.0}
    )
    load.start()
    await asyncio.sleep(len(world.conversations) / 50.0)
    await load.stop()
    for _ in range(300):
        if len(await _bench_json(world, "arrivals", f"{world.run}w")) >= len(load.messages):
            return
        await asyncio.sleep(1.0)
    raise RuntimeError("the warm-up messages did not all arrive within 300 s")


async def _measure(soak: Soak, url: str) -> dict[str, Any]:
    """The steady load, the faults, the samples; then the drain and the figures."""
    cfg, world = soak.cfg, soak.world
    memory = MemorySamples()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=2000)
    ) as http:
        await _warm_up(soak, http, url)
        faults = Faults(
            restart_worker=soak.restart_victim,
            victim=soak.current_victim,
            redis_url=world.settings.redis.url.get_secret_value(),
            redis_prefix=world.settings.tenancy.redis_prefix,
            flush_all=cfg.flush_all,
            genesys_url=world.genesys_url,
            storm_per_s=cfg.rates["meta"],
            cluster=soak.cluster,
        )
        plan = schedule(cfg.duration_s, cfg.window_s, cfg.fault_every_s, faults.kinds())
        load = SteadyLoad(http, url, world.tenants, world.conversations, f"{world.run}m", cfg.rates)
        t0 = time.time()
        load.start()
        _say(f"steady load for {cfg.duration_s / 60:g} min; faults: {plan}")

        async def sampler() -> None:
            while True:
                memory.rows.append((time.time() - t0, soak.sample()))
                await asyncio.sleep(cfg.sample_s)

        async def injector() -> None:
            for offset, kind in plan:
                await asyncio.sleep(max(0.0, t0 + offset - time.time()))
                if time.time() - t0 > last_start(cfg.duration_s, cfg.window_s):
                    _say(f"{kind} skipped: too late to recover before the last window")
                    continue
                _say(f"fault: {kind}")
                await faults.inject(kind)

        sampling = asyncio.create_task(sampler())
        injecting = asyncio.create_task(injector())
        try:
            await asyncio.sleep(cfg.duration_s)
            _say("load stopped; waiting for every webhook to be taken and delivered")
            await load.stop()
            await injecting
        except BaseException:
            load.cancel()
            raise
        finally:
            sampling.cancel()
            injecting.cancel()
        deadline = time.time() + 300
        while time.time() < deadline:
            arrived = await _bench_json(world, "arrivals", f"{world.run}m")
            if all(m.bench_id in arrived for m in load.messages.values() if m.taken):
                break
            await asyncio.sleep(2.0)
        await asyncio.sleep(5.0)  # a late duplicate shows
    arrivals = await _bench_json(world, "arrivals", f"{world.run}m")
    doubled = await _bench_json(world, "doubled", f"{world.run}m")
    count = max(1, round(cfg.duration_s / cfg.window_s))
    windows = latency_windows(load.messages, arrivals, t0, cfg.window_s, count)
    growth = {
        name: memory.growth(name, cfg.growth_from_s)
        for name in sorted({n for _, row in memory.rows for n in row})
    }
    found = totals(load.messages, arrivals, doubled)
    faults_rel = [
        {**f, "start": round(f["start"] - t0, 1), "end": round(f["end"] - t0, 1)}
        for f in faults.log.entries
    ]
    return {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()},
        "totals": found,
        "windows": windows,
        "memory": {
            "growth_from_s": cfg.growth_from_s,
            "growth": growth,
            "samples": [
                {
                    "t_s": round(t, 1),
                    "rss_mib": {n: round(v[1], 1) for n, v in row.items()},
                    "pid": {n: v[0] for n, v in row.items()},
                }
                for t, row in memory.rows
            ],
        },
        "latency_p99_per_30s": latency_series(load.messages, arrivals, t0, 30.0),
        "faults": faults_rel,
        "targets": targets(found, windows, growth),
    }


def _print(result: dict[str, Any]) -> None:
    for direction, counts in result["totals"].items():
        _say(f"{direction}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for window in result["windows"]:
        cells = [
            f"{d} p50/p95/p99 {window[d]['p50_ms']}/{window[d]['p95_ms']}/{window[d]['p99_ms']} ms"
            for d in ("to_genesys", "to_meta")
        ]
        _say(f"window {window['from_s'] / 60:g}-{window['to_s'] / 60:g} min: " + "; ".join(cells))
    for name, growth in result["memory"]["growth"].items():
        _say(f"memory {name}: {growth}")
    for target in result["targets"]:
        verdict = "PASS" if target["met"] else "MISS"
        _say(f"{verdict} {target['name']}: {target['measured']} (wanted {target['wanted']})")


def _plot(result: dict[str, Any], path: Path, duration_s: float) -> None:
    memory: plot.Series = {}
    pids: dict[str, int] = {}
    for sample in result["memory"]["samples"]:
        for name, rss in sample["rss_mib"].items():
            line = memory.setdefault(name, [])
            if pids.setdefault(name, sample["pid"][name]) != sample["pid"][name]:
                line.append((sample["t_s"], math.nan))  # restarted: the line breaks
                pids[name] = sample["pid"][name]
            line.append((sample["t_s"], rss))
    latency = {
        d: [(t, v) for t, v in points] for d, points in result["latency_p99_per_30s"].items()
    }
    bands = [(f["start"], f["end"], f["kind"]) for f in result["faults"]]
    judged = ", ".join(JUDGED)
    path.write_text(
        plot.svg(
            f"wagen soak: {duration_s / 60:g} min, memory ({judged} judged) and p99 latency",
            [
                plot.Panel("Resident memory per process", "MiB", memory),
                plot.Panel("p99 end-to-end latency, per 30 s of first sends", "ms", latency),
            ],
            duration_s,
            bands,
        )
    )


async def main(cfg: SoakConfig) -> int:
    """Run the soak; 0 when it ran (a missed target is reported, not an error)."""
    run = uuid.uuid4().hex[:6]
    scratch = SCRATCH / f"soak-{run}"
    scratch.mkdir(parents=True)
    procs = Processes(scratch)
    cluster = Cluster(scratch / "kafka-cluster", free_port_run(6)) if cfg.cluster else None
    failed = True
    try:
        base = WagenSettings()
        if cluster is not None:
            _say("starting the three-broker cluster")
            await asyncio.to_thread(cluster.stack, "up")
            base = base.model_copy(update={"kafka": cluster.kafka()})
        await ensure_declared_topics(base.kafka)
        async with bench_stores(base, run) as settings:
            try:
                world = await set_up_world(run, settings, procs, cfg)
                soak = Soak(cfg, world, procs, cluster, f"wagen-soak-{run}")
                url = await soak.start_gateway()
                await start_group_at_end(settings.kafka.servers, soak.group)
                await soak.start_worker("worker-steady")
                await soak.start_worker("worker-victim")
                await soak.wait_group(2)
                result = await _measure(soak, url)
            finally:
                procs.stop_all()
        _print(result)
        cfg.out.parent.mkdir(parents=True, exist_ok=True)
        json_path = write(cfg.out.with_suffix(".json"), result)
        _plot(result, cfg.out.with_suffix(".svg"), cfg.duration_s)
        _say(f"wrote {json_path} and {cfg.out.with_suffix('.svg')}")
        failed = False
    finally:
        procs.stop_all()
        if cluster is not None:
            await asyncio.to_thread(cluster.stack, "kill", "1", "2", "3")
        if failed or cfg.keep_logs:
            _say(f"logs of every process: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def cli(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    add = parser.add_argument
    add("--minutes", type=float, default=30.0, help="length of the steady load")
    add("--tenants", type=int, default=100)
    add("--conversations", type=int, default=500, help="customers, spread over the tenants")
    add("--inbound-rate", type=float, default=20.0, help="customer messages a second")
    add("--outbound-rate", type=float, default=5.0, help="agent replies a second")
    add("--fault-every", type=float, default=4.0, help="minutes between faults")
    add("--window", type=float, default=5.0, help="minutes per latency window")
    add("--sample-s", type=float, default=30.0, help="seconds between memory samples")
    add("--growth-from", type=float, default=10.0, help="minute memory growth is measured from")
    add("--single-broker", action="store_true", help="the dev stack's Kafka, no broker faults")
    add("--flush-all", action="store_true", help="FLUSHALL Redis (default: the run's keys)")
    add("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "soak")
    add("--keep-logs", action="store_true", help="keep every process's log after a success")
    args = parser.parse_args(argv)
    # The soak's own clients (admin, group commits) say what they retry at WARNING: quiet.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    cfg = SoakConfig(
        duration_s=args.minutes * 60,
        tenants=args.tenants,
        conversations=args.conversations,
        rates={"meta": args.inbound_rate, "genesys": args.outbound_rate},
        fault_every_s=args.fault_every * 60,
        window_s=args.window * 60,
        sample_s=args.sample_s,
        growth_from_s=args.growth_from * 60,
        cluster=not args.single_broker,
        flush_all=args.flush_all,
        out=args.out,
        keep_logs=args.keep_logs,
    )
    if cfg.duration_s < 2 * cfg.window_s:
        parser.error("--minutes must cover at least two --window lengths")
    return asyncio.run(main(cfg))


if __name__ == "__main__":
    sys.exit(cli())
