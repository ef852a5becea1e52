"""Scenario 3, scale-out: end-to-end capacity (Meta -> Genesys) with 1, 2 and 4 worker
processes in one consumer group, on wagen's topics (``WAGEN_KAFKA_PARTITIONS``, 12 by
default, caps the useful number of workers).

On two cores more processes cannot add CPU: the figures show where it flattens.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from bench.config import Sizes
from bench.e2e_runs import measure, row
from bench.harness import Bench
from bench.report import Result, ratio
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS


async def _partitions(bench: Bench) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bench.world.settings.kafka.servers)
    await admin.start()
    try:
        described = await admin.describe_topics([WA_WEBHOOKS, WA_EVENTS])
        return {t["topic"]: len(t["partitions"]) for t in described}
    finally:
        await admin.close()


async def run(bench: Bench, sizes: Sizes, preset: str) -> Result:
    """One capacity run per worker count, growing the group in place."""
    result = Result("scaleout", preset, sizes.model_dump())
    if not bench.gateways:
        await bench.start_gateway("0")
    partitions = await _partitions(bench)
    first = 0.0
    for workers in sizes.scale_workers:
        await bench.start_workers(workers)
        watched = [p for p in bench.procs.running if p.name.startswith(("gateway-", "worker-"))]
        found, cpu, per_message = await measure(
            bench, "meta", bench.gateways, sizes, count=sizes.e2e_blast, rate=None, watched=watched
        )
        line = row(
            f"wagen, {workers} worker(s)", "Meta -> Genesys", "capacity", found, cpu, per_message
        )
        first = first or found.per_s
        result.rows.append({"workers": workers, **line, "x_one_worker": ratio(found.per_s, first)})
    result.notes += [
        f"partitions: {partitions} (a worker beyond the partition count would sit idle)",
        "2 cores: the gateway, the workers, Kafka, PostgreSQL, Redis, the simulators and the "
        "load generator share them, so extra workers add parallelism but no CPU",
    ]
    return result
