"""The load generator, run as its own process (``python -m bench.loadgen SPEC OUT``).

It builds and signs every request before the clock starts, then sends them over keep-alive
connections with at most ``concurrency`` in flight: as fast as answers come back (closed
loop), or at ``rate`` per second (open loop; a request whose turn comes while all slots are
busy waits, and the achieved rate shows it). It writes, per request, the benchmark id, the
wall-clock send time, the latency until the answer and the status, plus its own CPU time:
on two cores the load generator competes with what it measures.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
from pydantic import BaseModel, ConfigDict

from bench.payloads import SIGNATURE_HEADER, load_tenants, signed


class LoadSpec(BaseModel):
    """What one load generator process sends."""

    model_config = ConfigDict(frozen=True)

    kind: str
    targets: list[str]
    path: str
    tenants_file: str
    conversations: list[tuple[int, str]]
    run_id: str
    count: int
    concurrency: int
    rate: float | None = None
    share: tuple[int, int] = (0, 1)
    seq_offset: int = 0


class Sent(BaseModel):
    """What the load generator measured."""

    requests: list[tuple[str, float, float, int]]
    cpu_s: float
    wall_s: float


async def run(spec: LoadSpec) -> Sent:
    """Send the spec's requests; the measurements."""
    tenants = load_tenants(Path(spec.tenants_file))
    index, of = spec.share
    prepared = []
    for seq in range(spec.seq_offset + index, spec.seq_offset + spec.count, of):
        tenant_index, customer = spec.conversations[seq % len(spec.conversations)]
        tenant = tenants[tenant_index]
        bench_id = f"{spec.run_id}-{seq}"
        body, signature = signed(spec.kind, tenant, customer, bench_id)
        target = spec.targets[seq % len(spec.targets)]
        url = target + spec.path.format(tenant=tenant.tenant_id)
        prepared.append((bench_id, url, body, signature))
    results: list[tuple[str, float, float, int]] = []
    slots = asyncio.Semaphore(spec.concurrency)
    connector = aiohttp.TCPConnector(limit=spec.concurrency * len(spec.targets))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(bench_id: str, url: str, body: bytes, signature: str) -> None:
            try:
                started_wall, started = time.time(), time.perf_counter()
                headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                results.append((bench_id, started_wall, time.perf_counter() - started, status))
            finally:
                slots.release()

        cpu_before, wall_before = time.process_time(), time.perf_counter()
        tasks = []
        interval = of / spec.rate if spec.rate else 0.0
        for n, item in enumerate(prepared):
            if interval:
                delay = wall_before + n * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await slots.acquire()
            tasks.append(asyncio.create_task(send(*item)))
        await asyncio.gather(*tasks)
        return Sent(
            requests=results,
            cpu_s=time.process_time() - cpu_before,
            wall_s=time.perf_counter() - wall_before,
        )


def main() -> None:
    """``python -m bench.loadgen SPEC_FILE OUT_FILE``."""
    spec_file, out_file = sys.argv[1:3]
    spec = LoadSpec.model_validate_json(Path(spec_file).read_bytes())
    sent = asyncio.run(run(spec))
    Path(out_file).write_text(sent.model_dump_json())


if __name__ == "__main__":
    main()
