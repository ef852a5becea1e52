"""Scenario 4, fairness: one tenant floods at ``fair_flood_factor`` x its Genesys budget
(its own low budget, ``WAGEN_PACING_GENESYS_OVERRIDES``) while ``fair_tenants`` others send
normally with a budget out of their way; the others' latency with and without the flood.

A control run tells unfairness from load: the same tenants alone, sending as much more as the
flood adds. If the flood costs the others what that extra well-behaved traffic costs them,
the pacer is holding the flood to its budget and what remains is the shared work of taking
webhooks in (gateway, Kafka, split), which every message pays before it is paced.

Runs last: the flood leaves a backlog the pacer drains at the flooding tenant's budget.
"""

from __future__ import annotations

import asyncio

from bench.config import Sizes
from bench.e2e_runs import measure, row
from bench.harness import Bench, Delivery
from bench.report import Result, at_most, ratio
from bench.world import World

MAX_ADDED = 0.10
FLOOD_CONVERSATIONS = 50


def flood_conversations(world: World) -> list[tuple[int, str]]:
    """The flooding tenant's customers (it is the last tenant of the tenants file)."""
    return [(len(world.tenants), f"4916{n:09d}") for n in range(FLOOD_CONVERSATIONS)]


async def run(bench: Bench, sizes: Sizes, preset: str) -> Result:
    """Normal traffic alone, then the same traffic with the flood alongside."""
    result = Result("fairness", preset, sizes.model_dump())
    world = bench.world
    if not bench.gateways:
        await bench.start_gateway("0")
    await bench.start_workers(1)
    normal = [c for c in world.conversations if c[0] < sizes.fair_tenants]
    flood_rate = sizes.fair_flood_factor * sizes.fair_flood_budget_per_min / 60
    flood_count = round(flood_rate * sizes.fair_duration_s)

    async def normal_load(rate: float) -> Delivery:
        found, _cpu, _per_message = await measure(
            bench, "meta", bench.gateways, sizes, count=round(rate * sizes.fair_duration_s),
            rate=rate, watched=[], conversations=normal,
        )  # fmt: skip
        return found

    quiet = await normal_load(sizes.fair_rate)
    busier = await normal_load(sizes.fair_rate + flood_rate)
    flood = asyncio.create_task(
        bench.load(
            "meta", bench.gateways, count=flood_count, concurrency=sizes.e2e_concurrency,
            run_id=bench.run_id("f"), rate=flood_rate, conversations=flood_conversations(world),
        )
    )  # fmt: skip
    flooded = await normal_load(sizes.fair_rate)
    flood_load = await flood
    label = f"{sizes.fair_tenants} tenants @{sizes.fair_rate:g}/s total"
    result.rows += [
        row(label, "Meta -> Genesys", "alone", quiet, "-"),
        row(label, "Meta -> Genesys", f"+ flood @{flood_rate:g}/s", flooded, "-"),
        row(
            f"the same tenants @{sizes.fair_rate + flood_rate:g}/s total",
            "Meta -> Genesys",
            "alone (control)",
            busier,
            "-",
        ),
    ]
    added = ratio(flooded.latency["p99"], quiet.latency["p99"]) - 1
    result.targets.append(at_most("the flood's addition to the others' p99", added, MAX_ADDED))
    as_load = ratio(busier.latency["p99"], quiet.latency["p99"]) - 1
    result.notes.append(
        f"control: the same {flood_rate:g}/s more from the well-behaved tenants themselves adds "
        f"{100 * as_load:+.0f}% to their p99 (the flood: {100 * added:+.0f}%); p50 "
        f"{quiet.latency['p50']:g} -> {busier.latency['p50']:g} ms (control) and "
        f"{flooded.latency['p50']:g} ms (flood)"
    )
    result.notes += [
        "the normal load is set below one worker's measured capacity (scenario e2e): the "
        "question is what the flood adds, not what saturation does",
        f"flooding tenant: Genesys budget {sizes.fair_flood_budget_per_min:g}/min, sending "
        f"{flood_rate:g}/s ({sizes.fair_flood_factor:g}x) for {sizes.fair_duration_s:g} s; "
        f"its backlog keeps draining at its budget after the run ({len(flood_load.ok)} of "
        f"{flood_count} flood webhooks acknowledged by the gateway)",
        "WAGEN_PACING_MAX_IN_FLIGHT bounds what one worker holds: a backlog beyond it slows "
        "the worker for every tenant (README, known limits)",
    ]
    return result
