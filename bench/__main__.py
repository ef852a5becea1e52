"""``python -m bench [--preset full|quick] [--set key=value ...] [scenario ...]``.

Sets up the run's stores, tenants and simulators once, runs the scenarios in order (ingress,
e2e, scaleout, fairness; all by default), prints a table per scenario and writes
``bench/results/<scenario>.json``. Everything it started is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

from bench.config import PRESETS, Sizes, sizes
from bench.harness import Bench
from bench.procs import REPO_ROOT, Processes, free_port, wait_http
from bench.report import Result, write_profile
from bench.scenarios import e2e, fairness, ingress, scaleout
from bench.world import (
    World,
    bench_stores,
    conversations_of,
    create_tenants,
    new_tenant,
    register_in_simulators,
    write_tenants,
)
from pipeline.kafka.topics import ensure_declared_topics
from pipeline.settings import WagenSettings

Scenario = Callable[[Bench, Sizes, str], Awaitable[Result]]
SCENARIOS: dict[str, Scenario] = {
    "ingress": ingress.run,
    "e2e": e2e.run,
    "scaleout": scaleout.run,
    "fairness": fairness.run,
}
SCRATCH = REPO_ROOT / "bench" / ".scratch"


def _say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


async def main(preset: str, chosen: Sizes, names: list[str], keep_scratch: bool) -> int:
    """Run the scenarios; 0 when all ran (a missed target is reported, not an error)."""
    started = time.monotonic()
    run = uuid.uuid4().hex[:6]
    scratch = SCRATCH / run
    scratch.mkdir(parents=True)
    base = WagenSettings()
    await ensure_declared_topics(base.kafka)
    procs = Processes(scratch)
    failed = True
    try:
        async with bench_stores(base, run) as settings:
            try:
                bench = await _set_up(run, settings, procs, chosen)
                for name in names:
                    _say(f"scenario {name}")
                    result = await SCENARIOS[name](bench, chosen, preset)
                    result.print()
                    _say(f"wrote {result.write().relative_to(REPO_ROOT)}")
                if bench.profiles:
                    _say(f"wrote {write_profile(bench.profiles).relative_to(REPO_ROOT)}")
            finally:
                # Before the stores go: a worker still draining must not meet a dropped database.
                procs.stop_all()
        failed = False
    finally:
        procs.stop_all()
        if failed or keep_scratch:
            _say(f"logs of every process: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    _say(f"done in {time.monotonic() - started:.0f} s")
    return 0


async def _set_up(run: str, settings: WagenSettings, procs: Processes, chosen: Sizes) -> Bench:
    """The simulators, the tenants (one more to flood), their registration."""
    genesys_port, meta_port = free_port(), free_port()
    sims = procs.spawn("simulators", ["-m", "bench.sims", str(genesys_port), str(meta_port)], {})
    genesys_url = f"http://127.0.0.1:{genesys_port}"
    meta_url = f"http://127.0.0.1:{meta_port}"
    await wait_http(f"{genesys_url}/_sandbox/health", sims)
    await wait_http(f"{meta_url}/_sandbox/health", sims)
    tenants = [new_tenant(run, f"t{n:03d}", n + 1) for n in range(chosen.tenants)]
    world = World(
        run=run,
        settings=settings,
        scratch=procs.scratch,
        genesys_url=genesys_url,
        meta_url=meta_url,
        tenants=tenants,
        conversations=conversations_of(chosen.conversations, chosen.tenants),
        flood=new_tenant(run, "flood", chosen.tenants + 1),
        flood_budget_per_min=chosen.fair_flood_budget_per_min,
    )
    everyone = world.all_tenants
    _say(f"run {run}: creating {len(everyone)} tenants through the tenancy services")
    await create_tenants(settings, everyone)
    write_tenants(world)
    conversations = [*world.conversations, *fairness.flood_conversations(world)]
    await register_in_simulators(genesys_url, meta_url, everyone, conversations)
    return Bench(world, procs, chosen.loadgen_processes)


def cli(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--keep-scratch", action="store_true", help="keep the processes' logs after a success"
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(SCENARIOS))
    args = parser.parse_args(argv)
    chosen = sizes(args.preset, args.set)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}: choose from {list(SCENARIOS)}")
    names = [n for n in SCENARIOS if n in args.scenarios] or list(SCENARIOS)
    return asyncio.run(main(args.preset, chosen, names, args.keep_scratch))


if __name__ == "__main__":
    sys.exit(cli())
