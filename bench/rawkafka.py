"""Baseline: raw aiokafka produce throughput, in its own process.

``python -m bench.rawkafka SPEC OUT`` produces ``count`` records of the same bodies and
headers the gateway stores, with the gateway producer's settings (acks=all, idempotent,
linger 2 ms), ``concurrency`` awaiting their acknowledgement at once, to a topic of the
benchmark's own (so no worker consumes them). It is the ceiling of Kafka plus aiokafka
from one Python process on this machine, with no HTTP and no signature check.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer
from pydantic import BaseModel, ConfigDict

from bench.payloads import load_tenants, meta_webhook


class ProduceSpec(BaseModel):
    """What to produce."""

    model_config = ConfigDict(frozen=True)

    servers: list[str]
    topic: str
    tenants_file: str
    conversations: list[tuple[int, str]]
    count: int
    concurrency: int


class Produced(BaseModel):
    """Each record's send-to-ack latency, and the wall time and CPU of the whole run."""

    latencies: list[float]
    wall_s: float
    cpu_s: float


async def produce(spec: ProduceSpec) -> Produced:
    """Produce the spec's records; the measurements."""
    tenants = load_tenants(Path(spec.tenants_file))
    records = []
    for seq in range(spec.count):
        index, customer = spec.conversations[seq % len(spec.conversations)]
        tenant = tenants[index]
        headers = [
            ("tenant_id", tenant.tenant_id.encode()),
            ("source", b"meta"),
            ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
            ("request_id", f"{seq:032x}".encode()),
            ("content_type", b"application/json"),
        ]
        records.append(
            (tenant.tenant_id.encode(), meta_webhook(tenant, customer, f"raw-{seq}"), headers)
        )
    producer = AIOKafkaProducer(
        bootstrap_servers=spec.servers, acks="all", enable_idempotence=True, linger_ms=2
    )
    await producer.start()
    latencies: list[float] = []
    try:
        await producer.send_and_wait(spec.topic, b"warm-up")
        queue = iter(records)
        cpu_before, wall_before = time.process_time(), time.perf_counter()

        async def lane() -> None:
            for key, value, headers in queue:
                started = time.perf_counter()
                await producer.send_and_wait(spec.topic, value, key=key, headers=headers)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(lane() for _ in range(spec.concurrency)))
        return Produced(
            latencies=latencies,
            wall_s=time.perf_counter() - wall_before,
            cpu_s=time.process_time() - cpu_before,
        )
    finally:
        await producer.stop()


def main() -> None:
    """``python -m bench.rawkafka SPEC_FILE OUT_FILE``."""
    spec = ProduceSpec.model_validate_json(Path(sys.argv[1]).read_bytes())
    Path(sys.argv[2]).write_text(asyncio.run(produce(spec)).model_dump_json())


if __name__ == "__main__":
    main()
