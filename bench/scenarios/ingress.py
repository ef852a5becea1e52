"""Scenario 1, ingress: signed Meta webhooks per second into Kafka (acks=all) through real
``wagen gateway`` processes, against a bare aiohttp handler and raw aiokafka produce.

All three face the same load generator (its own process, keep-alive connections, at most
``ingress_concurrency`` requests in flight, bodies signed with each tenant's app secret).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.config import Sizes
from bench.harness import Bench, CpuSampler, Load
from bench.procs import Proc, free_port, wait_http
from bench.profiling import start, summary
from bench.rawkafka import Produced, ProduceSpec
from bench.report import Result, at_least, at_most, latency_ms, ratio

MIN_PER_S = 3000.0
MAX_P99_MS = 50.0
MIN_OF_BARE = 0.5


async def _measure(
    bench: Bench, sizes: Sizes, targets: list[str], servers: list[Proc]
) -> tuple[Load, str]:
    # Warm-up, not measured: one request per tenant fills the caches and opens connections.
    await bench.load(
        "meta", targets, count=len(bench.world.tenants), concurrency=8, run_id=bench.run_id("w")
    )
    async with CpuSampler(servers) as sampler:
        load = await bench.load(
            "meta",
            targets,
            count=sizes.ingress_requests,
            concurrency=sizes.ingress_concurrency,
            run_id=bench.run_id("i"),
        )
    return load, sampler.share(load.first_send, load.last_answer)


def _row(system: str, load: Load, cpu: str) -> dict[str, Any]:
    return {
        "system": system,
        "requests": len(load.sent),
        "errors": load.errors,
        "acked_per_s": load.acked_per_s(),
        **{f"{k}_ms": v for k, v in load.ack_latency_ms().items()},
        "loadgen_cpu": f"{100 * load.loadgen_cpu_s / max(load.wall_s, 1e-9):.0f}%",
        "server_cpu": cpu,
    }


async def _raw_kafka(bench: Bench, sizes: Sizes) -> dict[str, Any]:
    servers = bench.world.settings.kafka.servers
    topic = f"bench.ingress.{bench.world.run}"
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, bench.world.settings.kafka.partitions, 1)])
        spec = ProduceSpec(
            servers=servers,
            topic=topic,
            tenants_file=str(bench.world.tenants_file),
            conversations=bench.world.conversations,
            count=sizes.ingress_requests,
            concurrency=sizes.ingress_concurrency,
        )
        spec_file, out = bench.procs.scratch / "raw.json", bench.procs.scratch / "raw-out.json"
        spec_file.write_text(spec.model_dump_json())
        proc = bench.procs.spawn("rawkafka", ["-m", "bench.rawkafka", str(spec_file), str(out)], {})
        await bench.procs.finish(proc)
        produced = Produced.model_validate_json(out.read_bytes())
    finally:
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()
    return {
        "system": "raw aiokafka produce (1 process, no HTTP)",
        "requests": len(produced.latencies),
        "errors": 0,
        "acked_per_s": ratio(len(produced.latencies), produced.wall_s),
        **{f"{k}_ms": v for k, v in latency_ms(produced.latencies).items()},
        "loadgen_cpu": "-",
        "server_cpu": f"producer {100 * produced.cpu_s / produced.wall_s:.0f}%",
    }


async def _profile(bench: Bench, sizes: Sizes, gateway: Proc) -> None:
    """A second, unmeasured run of the same load with py-spy on the gateway."""
    out = bench.procs.scratch / "profile-gateway.txt"
    sampler = start(gateway.pid, sizes.profile_s, out)
    await bench.load(
        "meta",
        bench.gateways[:1],
        count=max(1, sizes.ingress_requests // 2),
        concurrency=sizes.ingress_concurrency,
        run_id=bench.run_id("p"),
    )
    if sampler is not None:
        await asyncio.to_thread(sampler.wait)
    title = (
        f"wagen gateway, ingress saturated ({sizes.ingress_concurrency} requests in flight), "
        f"first {sizes.profile_s:g} s"
    )
    bench.profiles.append(summary(title, out))


async def run(bench: Bench, sizes: Sizes, preset: str) -> Result:
    """Bare aiohttp, raw aiokafka, then one and two gateways."""
    result = Result("ingress", preset, sizes.model_dump())
    port = free_port()
    bare = bench.procs.spawn("bare", ["-m", "bench.servers", "bare", str(port)], {})
    url = f"http://127.0.0.1:{port}"
    await wait_http(f"{url}/healthz", bare)
    load, cpu = await _measure(bench, sizes, [url], [bare])
    bench.procs.stop(bare)
    bare_row = _row("bare aiohttp handler (1 process)", load, cpu)
    result.rows.append(bare_row)
    result.rows.append(await _raw_kafka(bench, sizes))
    for count in (1, 2):
        while len(bench.gateways) < count:
            await bench.start_gateway(str(len(bench.gateways)))
        gateways = [p for p in bench.procs.running if p.name.startswith("gateway-")]
        load, cpu = await _measure(bench, sizes, bench.gateways[:count], gateways[:count])
        row = _row(f"wagen gateway x{count}", load, cpu)
        if count == 1:
            await _profile(bench, sizes, gateways[0])
        result.rows.append(row)
        name = f"{count} gateway{'s' if count > 1 else ''}"
        result.targets += [
            at_least(f"{name}: signed webhooks/s (acks=all)", row["acked_per_s"], MIN_PER_S),
            at_most(f"{name}: p99 ack latency", row["p99_ms"], MAX_P99_MS, " ms"),
            at_least(
                f"{name}: share of the bare aiohttp ceiling",
                ratio(row["acked_per_s"], bare_row["acked_per_s"]),
                MIN_OF_BARE,
            ),
        ]
    # The second gateway is not needed by the scenarios after this one.
    while len(bench.gateways) > 1:
        bench.gateways.pop()
        bench.procs.stop([p for p in bench.procs.running if p.name.startswith("gateway-")][-1])
    result.notes += [
        "one load generator process on the same 2 cores: its CPU (loadgen_cpu, % of one core) "
        "is taken from the servers it measures; the Kafka broker (Java) shares them too",
        "2 gateways = two processes on different ports (the gateway does not set SO_REUSEPORT); "
        "the load generator alternates between them",
    ]
    return result
