"""Scenario 2, end to end: Meta webhook → gateway → Kafka → worker → Genesys simulator
accepted, and the reverse (Genesys webhook → Meta simulator send), against a direct relay
(verify, translate, call the simulator; no broker) under the same load, in the same run.

Then a profiled run: py-spy samples the worker and the gateway (``results/profile.txt``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.config import Sizes
from bench.e2e_runs import measure, row
from bench.harness import Bench
from bench.procs import Proc, free_port, wait_http
from bench.profiling import start, summary
from bench.report import Result, at_least, at_most, ratio

MIN_PER_S = 1000.0
MAX_P99_MS = 500.0
MIN_OF_RELAY = 3.0
DIRECTIONS = (("meta", "Meta -> Genesys"), ("genesys", "Genesys -> Meta"))


async def _both_modes(
    bench: Bench, system: str, targets: list[str], sizes: Sizes, watched: list[Proc]
) -> list[dict[str, Any]]:
    """Per direction: capacity, the target's rate, and half the measured capacity."""
    rows = []
    for kind, direction in DIRECTIONS:
        found, cpu, per_message = await measure(
            bench, kind, targets, sizes, count=sizes.e2e_blast, rate=None, watched=watched
        )
        rows.append(row(system, direction, "capacity", found, cpu, per_message))
        half = round(found.per_s / 2, 1) if found.per_s > 0 else 1.0
        for rate, mode in ((sizes.e2e_rate, "sustained"), (half, "half capacity")):
            found, cpu, per_message = await measure(
                bench, kind, targets, sizes, count=max(1, round(rate * sizes.e2e_duration_s)),
                rate=rate, watched=watched,
            )  # fmt: skip
            rows.append(row(system, direction, f"{mode} @{rate:g}/s", found, cpu, per_message))
    return rows


def cpu_budget(rows: list[dict[str, Any]]) -> list[str]:
    """What the machine's CPU allows at the CPU per message each capacity run measured."""
    notes = []
    for line in rows:
        machine_ms = line.get("machine_ms_per_message")
        if line["mode"] == "capacity" and machine_ms:
            notes.append(
                f"{line['system']}, {line['direction']}: {machine_ms:g} ms of machine CPU per "
                f"message -> 2 cores carry at most {2000 / machine_ms:,.0f} messages/s "
                f"(the {MIN_PER_S:,.0f}/s target needs <= {2000 / MIN_PER_S:g} ms, load "
                "generator and simulators included)"
            )
    return notes


async def warm_up(bench: Bench, sizes: Sizes) -> None:
    """One customer message per conversation (mappings, windows, caches), then one agent
    reply per tenant; not measured."""
    gateway = bench.gateways
    conversations = len(bench.world.conversations)
    await measure(bench, "meta", gateway, sizes, count=conversations, rate=None, watched=[])
    await measure(
        bench, "genesys", gateway, sizes, count=len(bench.world.tenants), rate=None, watched=[]
    )


async def profile(bench: Bench, sizes: Sizes) -> None:
    """Sample the worker (and the gateway) during a capacity run: the pipeline saturated."""
    scratch = bench.procs.scratch
    gateway = next(p for p in bench.procs.running if p.name.startswith("gateway-"))
    samplers = []
    for name, proc in (("worker", bench.workers[0]), ("gateway", gateway)):
        out = scratch / f"profile-e2e-{name}.txt"
        samplers.append((name, out, start(proc.pid, sizes.profile_s, out)))
    await measure(
        bench, "meta", bench.gateways, sizes, count=sizes.e2e_blast, rate=None, watched=[]
    )
    for name, out, sampler in samplers:
        if sampler is not None:
            await asyncio.to_thread(sampler.wait)
        title = (
            f"wagen {name}, Meta -> Genesys capacity run ({sizes.e2e_blast} messages, "
            f"1 gateway, 1 worker), first {sizes.profile_s:g} s"
        )
        bench.profiles.append(summary(title, out))


async def run(bench: Bench, sizes: Sizes, preset: str) -> Result:
    """The relay first (no wagen process busy), then the pipeline, then the profile."""
    result = Result("e2e", preset, sizes.model_dump())
    port = free_port()
    world = bench.world
    relay = bench.procs.spawn(
        "relay",
        ["-m", "bench.servers", "relay", str(port), str(world.tenants_file), world.genesys_url,
         world.meta_url],
        {},
    )  # fmt: skip
    relay_url = f"http://127.0.0.1:{port}"
    await wait_http(f"{relay_url}/healthz", relay)
    result.rows += await _both_modes(bench, "direct relay", [relay_url], sizes, [relay])
    bench.procs.stop(relay)
    if not bench.gateways:
        await bench.start_gateway("0")
    await bench.start_workers(1)
    await warm_up(bench, sizes)
    watched = [p for p in bench.procs.running if p.name.startswith(("gateway-", "worker-"))]
    watched.append(next(p for p in bench.procs.running if p.name == "simulators"))
    pipeline_rows = await _both_modes(
        bench, "wagen (1 gateway, 1 worker)", bench.gateways, sizes, watched
    )
    result.rows += pipeline_rows
    relay_rows = result.rows[: len(pipeline_rows)]
    for ours, theirs in zip(pipeline_rows, relay_rows, strict=True):
        # Half capacity is informative (latency at a load it carries): no target.
        label = f"{ours['direction']} {ours['mode']}"
        if ours["mode"].startswith("half"):
            continue
        if ours["mode"] == "capacity":
            result.targets += [
                at_least(f"{label}: messages/s", ours["delivered_per_s"], MIN_PER_S),
                at_least(
                    f"{label}: x the direct relay",
                    ratio(ours["delivered_per_s"], theirs["delivered_per_s"]),
                    MIN_OF_RELAY,
                ),
            ]
        else:
            result.targets += [
                at_least(f"{label}: messages/s delivered", ours["delivered_per_s"], MIN_PER_S),
                at_most(f"{label}: p99 latency", ours["p99_ms"], MAX_P99_MS, " ms"),
            ]
    await profile(bench, sizes)
    result.notes += cpu_budget(result.rows)
    result.notes += [
        f"{len(world.tenants)} tenants, {len(world.conversations)} conversations; latency = "
        "webhook sent by the load generator -> the simulator accepted the call (wall clock)",
        "capacity: a blast as fast as the ingress acknowledges; delivered_per_s counts from "
        "the first send to the last arrival (includes draining the backlog)",
        "cpu: % of one core per process over the measurement (2 cores = 200%), loadgen "
        "included; the simulators' process serves both relay and pipeline",
        "cpu_ms_per_message: CPU milliseconds per delivered message, per process and for the "
        "whole machine (machine; stolen time left out)",
        "half capacity: the rate offered is half the capacity measured just before, to show "
        "latency at a load the system carries (no target applies)",
        "warm-up (one message per conversation, one reply per tenant) is not measured; "
        "latency 'timeout' = some acknowledged messages had not arrived within "
        f"drain_timeout_s ({sizes.drain_timeout_s:g} s)",
    ]
    return result
